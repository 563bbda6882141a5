# Three neighbours; freeing the middle one last must merge both neighbour
# runs (and the free tail after them) into one run.
heap 1
alloc 3
alloc 5
alloc 7
free 0
free 1
free 0
