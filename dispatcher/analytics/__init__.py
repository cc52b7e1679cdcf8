"""Quality and SLA analytics for the head of an MO: mismatches, deadlines, load.

`facts` reads one narrow row per call of a period; `quality`, `sla` and `load` are pure
functions over those records; `report` titles the figures in Russian for the desk page,
`charts` draws them as PNG and `export` writes CSV and XLSX; `month` generates a month.
"""
