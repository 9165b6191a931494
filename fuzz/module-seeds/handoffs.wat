;; Seeds for the tiers' comparison of whole trap descriptions: traps deep
;; in compiled code in instructions the compiling tier hands to the
;; interpreter (tables, bulk memory, indirect calls it does not take,
;; imports).
(module
  (import "env" "f" (func $host (result i32)))
  (memory 1)
  (type $v (func (result i32)))
  (type $vi (func (param i32) (result i32)))
  (table 4 funcref)
  (elem (i32.const 0) $host $depth)
  (global $n (mut i32) (i32.const 0))
  (global $k (mut i32) (i32.const 0))

  ;; 1 more call deep each time, up to 12, then trap of kind $k.
  (func $depth (result i32)
    global.get $n
    i32.const 1
    i32.add
    global.set $n
    global.get $n
    i32.const 12
    i32.lt_u
    if (result i32)
      i32.const 1
      call_indirect (type $v)
    else
      call $trap
    end)

  (func $trap (result i32)
    block $b4
      block $b3
        block $b2
          block $b1
            block $b0
              global.get $k
              br_table $b0 $b1 $b2 $b3 $b4
            end
            ;; a table access past its end
            i32.const 9
            table.get 0
            drop
            i32.const 0
            return
          end
          ;; a fill past the memory
          i32.const 65530
          i32.const 0
          i32.const 100
          memory.fill
          i32.const 0
          return
        end
        ;; a null element
        i32.const 3
        call_indirect (type $v)
        return
      end
      ;; the import through the table with the wrong type
      i32.const 0
      i32.const 0
      call_indirect (type $vi)
      return
    end
    ;; the import, then a fault
    call $host
    i32.load offset=70000)

  (func (export "t0") (result i32)
    i32.const 0
    global.set $n
    i32.const 0
    global.set $k
    call $depth)
  (func (export "t1") (result i32)
    i32.const 0
    global.set $n
    i32.const 1
    global.set $k
    call $depth)
  (func (export "t2") (result i32)
    i32.const 0
    global.set $n
    i32.const 2
    global.set $k
    call $depth)
  (func (export "t3") (result i32)
    i32.const 0
    global.set $n
    i32.const 3
    global.set $k
    call $depth)
  (func (export "t4") (result i32)
    i32.const 0
    global.set $n
    i32.const 4
    global.set $k
    call $depth))
