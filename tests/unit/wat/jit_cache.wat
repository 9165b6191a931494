;; The code cache: a module whose machine code holds every kind of
;; absolute address the tier records (runtime helpers, numeric helpers,
;; instructions the interpreter runs) and direct calls between compiled
;; functions, so a cached copy only works if all are relocated.
(module
  (type $un (func (param i32) (result i32)))
  (table 2 funcref)
  (elem (i32.const 0) $double $square)
  (memory 1)

  (func $double (type $un) (i32.mul (local.get 0) (i32.const 2)))
  (func $square (type $un) (i32.mul (local.get 0) (local.get 0)))

  ;; A loop (back-edges charge fuel), a direct call, call_indirect and
  ;; memory.size (run by the interpreter), f32.nearest and a saturating
  ;; conversion (numeric helpers).
  (func (export "run") (param $n i32) (result i64)
    (local $i i32) (local $acc i64)
    (loop $l
      (local.set $acc
        (i64.add (local.get $acc)
          (i64.extend_i32_u
            (i32.add
              (call $double (local.get $i))
              (call_indirect (type $un) (local.get $i)
                (i32.and (local.get $i) (i32.const 1)))))))
      (i32.store (i32.const 16) (local.get $i))
      (local.set $acc
        (i64.add (local.get $acc)
          (i64.extend_i32_u (i32.add (memory.size) (i32.load (i32.const 16))))))
      (local.set $acc
        (i64.add (local.get $acc)
          (i64.trunc_sat_f32_s (f32.nearest (f32.convert_i32_s (local.get $i))))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
    (local.get $acc)))
