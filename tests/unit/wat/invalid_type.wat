;; Decodes, but the body leaves an i64 where an i32 result is due.
;; Converted with --no-check (invalid_* files) so that the engine sees it.
(module
  (func $bad (result i32)
    i64.const 0))
