;; A seed for the tiers' comparison of whole trap descriptions: the start
;; function traps 20 calls deep, through compiled and interpreted (SIMD)
;; functions.
(module
  (memory 1)
  (func $down (param $n i32)
    local.get $n
    if
      local.get $n
      i32.const 1
      i32.sub
      call $simd
    else
      i32.const 65536
      i32.load
      drop
    end)
  (func $simd (param $n i32)
    local.get $n
    i32x4.splat
    i32x4.extract_lane 1
    call $down)
  (func $start
    i32.const 20
    call $down)
  (start $start))
