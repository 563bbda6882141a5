# The heap that crosses a 64 MiB arena edge: spans and free runs straddle
# it, and the span map must cover both arenas.
heap 2
alloc 8000
alloc 300
alloc 100
free 1
alloc 250
scavenge
alloc 900
free 0
