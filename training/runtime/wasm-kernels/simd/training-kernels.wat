;; Memory-bound training kernels in WebAssembly SIMD, run directly on the tfjs
;; wasm backend's heap (the memory is imported from its module). The same loops
;; in JavaScript are scalar: MaxPoolGrad over seed's first pooling layer
;; (64×46×46×64 floats) took ~30 ms per train step, about as long as the whole
;; backward pass of its dense layer.
;;
;; Regenerate the embedded binary after editing: `npm run build:wasm-kernels`.
;; All pointers are byte offsets into the heap; channel counts are multiples of 4.
(module
  (import "env" "memory" (memory 1))

  ;; One lane of a 2×2 window whose maximum is NaN or −∞: the cpu backend's
  ;; rule (strict >, starting from −∞; the first strict maximum takes dy; no
  ;; position when nothing beats −∞), then every position of the lane written.
  (func $slowLane
    (param $x i32) (param $dx i32) (param $row i32) (param $col i32) (param $g f32)
    (local $best f32) (local $at i32) (local $v f32)
    (local.set $best (f32.const -inf))
    (local.set $at (i32.const -1))
    (local.set $v (f32.load (local.get $x)))
    (if (f32.gt (local.get $v) (local.get $best))
      (then (local.set $best (local.get $v)) (local.set $at (i32.const 0))))
    (local.set $v (f32.load (i32.add (local.get $x) (local.get $col))))
    (if (f32.gt (local.get $v) (local.get $best))
      (then (local.set $best (local.get $v)) (local.set $at (local.get $col))))
    (local.set $v (f32.load (i32.add (local.get $x) (local.get $row))))
    (if (f32.gt (local.get $v) (local.get $best))
      (then (local.set $best (local.get $v)) (local.set $at (local.get $row))))
    (local.set $v (f32.load (i32.add (local.get $x) (i32.add (local.get $row) (local.get $col)))))
    (if (f32.gt (local.get $v) (local.get $best))
      (then (local.set $best (local.get $v)) (local.set $at (i32.add (local.get $row) (local.get $col)))))
    (f32.store (local.get $dx) (f32.const 0))
    (f32.store (i32.add (local.get $dx) (local.get $col)) (f32.const 0))
    (f32.store (i32.add (local.get $dx) (local.get $row)) (f32.const 0))
    (f32.store (i32.add (local.get $dx) (i32.add (local.get $row) (local.get $col))) (f32.const 0))
    (if (i32.ge_s (local.get $at) (i32.const 0))
      (then (f32.store (i32.add (local.get $dx) (local.get $at)) (local.get $g)))))

  ;; dx of 2×2/stride-2 unpadded max pooling, NHWC: each window's dy goes to the
  ;; first of its four inputs equal to the pooled output y (the cpu backend's
  ;; first-maximum rule), the other three get 0. Every position covered by a
  ;; window is written; rows/columns left over by odd sizes are the caller's.
  (func (export "maxPoolGrad2x2")
    (param $x i32) (param $y i32) (param $dy i32) (param $dx i32)
    (param $batch i32) (param $inH i32) (param $inW i32) (param $c i32)
    (param $outH i32) (param $outW i32)
    (local $n i32) (local $oh i32) (local $ow i32) (local $ch i32)
    (local $row i32) (local $col i32) (local $p i32) (local $d i32)
    (local $xp i32) (local $dxp i32) (local $lane i32)
    (local $m v128) (local $g v128) (local $taken v128)
    (local $e0 v128) (local $e1 v128) (local $e2 v128) (local $e3 v128)
    (local.set $col (i32.shl (local.get $c) (i32.const 2)))
    (local.set $row (i32.mul (local.get $inW) (local.get $col)))
    (local.set $d (i32.const 0))
    (local.set $n (i32.const 0))
    (block $nDone (loop $nLoop
      (br_if $nDone (i32.ge_u (local.get $n) (local.get $batch)))
      (local.set $oh (i32.const 0))
      (block $ohDone (loop $ohLoop
        (br_if $ohDone (i32.ge_u (local.get $oh) (local.get $outH)))
        ;; byte offset of the window's top-left input
        (local.set $p (i32.mul
          (i32.add (i32.mul (local.get $n) (local.get $inH)) (i32.shl (local.get $oh) (i32.const 1)))
          (local.get $row)))
        (local.set $ow (i32.const 0))
        (block $owDone (loop $owLoop
          (br_if $owDone (i32.ge_u (local.get $ow) (local.get $outW)))
          (local.set $ch (i32.const 0))
          (block $chDone (loop $chLoop
            (br_if $chDone (i32.ge_u (local.get $ch) (local.get $col)))
            (local.set $xp (i32.add (local.get $x) (i32.add (local.get $p) (local.get $ch))))
            (local.set $dxp (i32.add (local.get $dx) (i32.add (local.get $p) (local.get $ch))))
            (local.set $m (v128.load (i32.add (local.get $y) (i32.add (local.get $d) (local.get $ch)))))
            (local.set $g (v128.load (i32.add (local.get $dy) (i32.add (local.get $d) (local.get $ch)))))
            (if (i32x4.all_true (f32x4.gt (local.get $m) (v128.const f32x4 -inf -inf -inf -inf)))
              (then
                (local.set $e0 (f32x4.eq (v128.load (local.get $xp)) (local.get $m)))
                (local.set $e1 (v128.andnot
                  (f32x4.eq (v128.load (i32.add (local.get $xp) (local.get $col))) (local.get $m))
                  (local.get $e0)))
                (local.set $taken (v128.or (local.get $e0) (local.get $e1)))
                (local.set $e2 (v128.andnot
                  (f32x4.eq (v128.load (i32.add (local.get $xp) (local.get $row))) (local.get $m))
                  (local.get $taken)))
                (local.set $taken (v128.or (local.get $taken) (local.get $e2)))
                (local.set $e3 (v128.andnot
                  (f32x4.eq
                    (v128.load (i32.add (local.get $xp) (i32.add (local.get $row) (local.get $col))))
                    (local.get $m))
                  (local.get $taken)))
                (v128.store (local.get $dxp) (v128.and (local.get $g) (local.get $e0)))
                (v128.store (i32.add (local.get $dxp) (local.get $col)) (v128.and (local.get $g) (local.get $e1)))
                (v128.store (i32.add (local.get $dxp) (local.get $row)) (v128.and (local.get $g) (local.get $e2)))
                (v128.store
                  (i32.add (local.get $dxp) (i32.add (local.get $row) (local.get $col)))
                  (v128.and (local.get $g) (local.get $e3))))
              (else
                (local.set $lane (i32.const 0))
                (block $laneDone (loop $laneLoop
                  (br_if $laneDone (i32.ge_u (local.get $lane) (i32.const 16)))
                  (call $slowLane
                    (i32.add (local.get $xp) (local.get $lane))
                    (i32.add (local.get $dxp) (local.get $lane))
                    (local.get $row) (local.get $col)
                    (f32.load (i32.add (local.get $dy)
                      (i32.add (local.get $d) (i32.add (local.get $ch) (local.get $lane))))))
                  (local.set $lane (i32.add (local.get $lane) (i32.const 4)))
                  (br $laneLoop)))))
            (local.set $ch (i32.add (local.get $ch) (i32.const 16)))
            (br $chLoop)))
          (local.set $p (i32.add (local.get $p) (i32.shl (local.get $col) (i32.const 1))))
          (local.set $d (i32.add (local.get $d) (local.get $col)))
          (local.set $ow (i32.add (local.get $ow) (i32.const 1)))
          (br $owLoop)))
        (local.set $oh (i32.add (local.get $oh) (i32.const 1)))
        (br $ohLoop)))
      (local.set $n (i32.add (local.get $n) (i32.const 1)))
      (br $nLoop))))

  ;; out[i] = x[i]·s[i mod c] + t[i mod c] over n floats: a binary op between a
  ;; full tensor and a per-channel one (BatchNorm's forward and gradient are made
  ;; of these). Mul is (b, 0), Add (1, b), x−b (1, −b), b−x (−1, b): all exact,
  ;; as x·1 and y+0 are. The built-in broadcasting loop computes every element's
  ;; source index; this is one streaming pass. n and c are multiples of 4.
  (func (export "channelAffine")
    (param $x i32) (param $s i32) (param $t i32) (param $out i32)
    (param $n i32) (param $c i32)
    (local $end i32) (local $row i32) (local $j i32)
    (local.set $row (i32.shl (local.get $c) (i32.const 2)))
    (local.set $end (i32.add (local.get $x) (i32.shl (local.get $n) (i32.const 2))))
    (block $done (loop $rows
      (br_if $done (i32.ge_u (local.get $x) (local.get $end)))
      (local.set $j (i32.const 0))
      (block $rowDone (loop $lanes
        (br_if $rowDone (i32.ge_u (local.get $j) (local.get $row)))
        (v128.store (i32.add (local.get $out) (local.get $j))
          (f32x4.add
            (f32x4.mul
              (v128.load (i32.add (local.get $x) (local.get $j)))
              (v128.load (i32.add (local.get $s) (local.get $j))))
            (v128.load (i32.add (local.get $t) (local.get $j)))))
        (local.set $j (i32.add (local.get $j) (i32.const 16)))
        (br $lanes)))
      (local.set $x (i32.add (local.get $x) (local.get $row)))
      (local.set $out (i32.add (local.get $out) (local.get $row)))
      (br $rows)))))
