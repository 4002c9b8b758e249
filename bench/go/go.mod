module tophash/bench/go

go 1.19
