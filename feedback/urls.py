app_name = "feedback"

urlpatterns = []

api_urlpatterns = []
