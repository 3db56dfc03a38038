module socketserver.benchmarks/goecho

go 1.19
