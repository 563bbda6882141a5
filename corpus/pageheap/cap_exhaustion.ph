# The small heap (cap 80 pages): a first grow of 64 pages, then requests
# that only fit if the grow stops exactly at the cap, then one that cannot.
heap 0
alloc 60
alloc 20
alloc 1
freelast
alloc 21
