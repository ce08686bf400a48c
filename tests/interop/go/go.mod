module zova-interop

go 1.26

require github.com/atasesli/zova/bindings/go v0.0.0

replace github.com/atasesli/zova/bindings/go => ../../../bindings/go
