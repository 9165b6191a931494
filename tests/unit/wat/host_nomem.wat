;; A caller without memory: every memory view must be refused.
(module
  (import "env" "probe" (func $probe))
  (func (export "probe") call $probe))
