module allocfuzz/oracles/go

go 1.19
