;; Decodes, but reads a local that does not exist (--no-check as above).
(module
  (func $bad (param i32) (result i32)
    local.get 5))
