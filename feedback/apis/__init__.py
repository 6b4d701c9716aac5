"""The feedback API, one module per endpoint group, each input and output serializer beside its
endpoint: verdicts, the feedback queue (requests, items, replies, resolutions), the scorecard and
insights, reason codes, the outcomes that tell marketing (`lead_outcomes`) and the bulk actions
and merge on leads (`lead_bulk_merge`). What they share is in `common`.

Each endpoint parses its input with an explicit input serializer, calls one service or selector and
renders an output serializer. Domain errors become 400/403/404/409 in `alignment.rest`.
"""
