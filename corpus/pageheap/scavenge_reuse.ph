# Released pages come back zeroed; a partly released run loses its
# released count when split; coalescing adds released counts.
heap 1
alloc 10
alloc 10
alloc 10
free 1
scavenge
free 0
alloc 4
scavenge
alloc 15
scavenge
