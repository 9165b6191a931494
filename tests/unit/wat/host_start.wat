;; A start function that calls the host before instantiation returns.
(module
  (import "env" "start_probe" (func $start_probe (param i32)))
  (memory 1)
  (data (i32.const 32) "started\00")
  (func $start
    i32.const 32
    call $start_probe)
  (start $start))
