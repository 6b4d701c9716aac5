"""`column IN (subquery)` read as index probes from the subquery's few rows.

PostgreSQL plans `IN (SELECT …)` as a join and, at a million rows, often hashes or merges the whole
other table (every feedback item, every verdict) to meet a few thousand ids. Written as
`column = ANY(ARRAY(SELECT …))` the subquery runs first and its ids are looked up one by one in the
column's index. Other databases keep the plain `IN (SELECT …)`: the same rows either way.
"""

from django.db.models.lookups import In


class InProbed(In):
    """`InProbed(F("lead_id"), leads.values("id"))` in a `filter()`: the rows whose column is one
    of the subquery's values, each found through the column's index on PostgreSQL."""

    def __init__(self, lhs, rhs):
        # The values' order is of no use to a set and would cost a sort (a model's default order).
        super().__init__(lhs, rhs.order_by())

    def as_postgresql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} = ANY(ARRAY{rhs})", (*lhs_params, *rhs_params)
