module github.com/atasesli/zova/bindings/go

go 1.26
