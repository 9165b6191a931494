;; Imports a host function by a signature the test defines differently.
(module (import "env" "host_sig" (func (param i64) (result i32))))
