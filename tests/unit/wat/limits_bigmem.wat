;; Needs 4 pages from the start.
(module (memory 4))
