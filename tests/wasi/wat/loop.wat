;; Never ends: for --timeout and --fuel.
(module
  (func $spin (export "_start")
    (loop $forever (br $forever))))
