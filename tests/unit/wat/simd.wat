;; v128 across every boundary: host functions, the API, tables, globals,
;; locals beside scalars (whose slots a v128 shifts), blocks and branches.
(module
  (import "env" "mix" (func $mix (param i32 v128 i64) (result v128 i32)))
  (type $vv (func (param v128 i32) (result v128)))
  (table 2 funcref)
  (elem (i32.const 0) $rot $add)
  (global $g (export "g") (mut v128) (v128.const i32x4 1 2 3 4))
  (memory 1)

  (func $rot (type $vv)
    (i8x16.shuffle 4 5 6 7 8 9 10 11 12 13 14 15 0 1 2 3 (local.get 0) (local.get 0)))
  (func $add (type $vv)
    (i32x4.add (local.get 0) (i32x4.splat (local.get 1))))

  ;; The host sees i32, v128 (two slots), i64 and answers v128 i32.
  (func (export "call_mix") (param $a i32) (param $v v128) (param $b i64) (result v128 i32)
    (call $mix (local.get $a) (local.get $v) (local.get $b)))

  ;; Through the table with a v128 signature, index k, then into the global.
  (func (export "indirect") (param $v v128) (param $n i32) (param $k i32) (result v128)
    (global.set $g (call_indirect (type $vv) (local.get $v) (local.get $n) (local.get $k)))
    (global.get $g))

  ;; Scalars around v128 locals and a v128 carried through a loop and a
  ;; block result: sum of lanes of n vectors starting from x.
  (func (export "loop") (param $x v128) (param $n i32) (result i32 v128 i64)
    (local $i i32) (local $acc v128) (local $tag i64)
    (local.set $tag (i64.const 7))
    (local.set $acc (local.get $x))
    (block $done (result v128)
      (loop $next
        (local.set $acc (i32x4.add (local.get $acc) (local.get $x)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br_if $next (i32.lt_u (local.get $i) (local.get $n))))
      (local.get $acc))
    (local.set $acc)
    (i32.add
      (i32.add (i32x4.extract_lane 0 (local.get $acc)) (i32x4.extract_lane 1 (local.get $acc)))
      (i32.add (i32x4.extract_lane 2 (local.get $acc)) (i32x4.extract_lane 3 (local.get $acc))))
    (local.get $acc)
    (local.get $tag))

  ;; select of v128, and v128 through memory
  (func (export "pick") (param $a v128) (param $b v128) (param $c i32) (result v128)
    (v128.store offset=16 (i32.const 0) (select (result v128) (local.get $a) (local.get $b) (local.get $c)))
    (v128.load offset=16 (i32.const 0)))
)
