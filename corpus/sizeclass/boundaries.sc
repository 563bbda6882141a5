# fuzz_sizeclass seeds (encoded by corpus/mkseeds.sh): one 8-byte query a
# line, "MODE ARG" as harness/fuzz_sizeclass.c decodes it (little-endian
# ARG << 2 | MODE):
#   small N     size N (mod 32769): class, class size, roundupsize, and a
#               mallocgc of N gets a block of the class size
#   roundup N   roundupsize(N), small or large, and a mallocgc of N (mod
#               1 MiB + 1) gets a block of that size
#   nearmax N   roundupsize(SIZE_MAX - N % 16384): saturates, never wraps
#   objindex N  class 1 + N % (classes - 1), offset (N >> 8) % (span + 1)
# Sizes on both sides of class boundaries, the largest small size, the first
# large ones, and objindex queries at a span's start, middle and end.
small 0
small 1
small 8
small 9
small 16
small 17
small 1024
small 1025
small 32767
small 32768
roundup 32768
roundup 32769
roundup 40960
roundup 1048577
nearmax 0
nearmax 1
nearmax 8191
nearmax 8192
objindex 0
objindex 300
objindex 70000
objindex 2097151
