;; Imports something wbpf does not provide: a link error.
(module
  (import "env" "missing_function" (func (param i32)))
  (func (export "_start")))
