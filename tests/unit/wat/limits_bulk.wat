;; Endless loops whose every iteration is one bulk instruction over 128 MiB:
;; few instructions, much work. Fuel and interrupts must still end them.
(module
  (memory 2048)
  (table 1000000 funcref)

  (func $fill_forever (export "fill_forever")
    loop $again
      i32.const 0
      i32.const 0
      memory.size
      i32.const 16
      i32.shl
      memory.fill
      br $again
    end)

  (func $table_fill_forever (export "table_fill_forever")
    loop $again
      i32.const 0
      ref.null func
      table.size 0
      table.fill 0
      br $again
    end))
