# Runs of 128+ pages live on freelarge; best fit picks the smallest run
# that fits; splits leave tails on the small lists.
heap 1
alloc 130
alloc 1
alloc 200
alloc 1
alloc 129
alloc 1
free 0
free 1
free 2
alloc 129
alloc 127
