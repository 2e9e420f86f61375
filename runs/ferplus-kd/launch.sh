#!/bin/bash
# Waits for the face-api teacher cache (computed by npm run teacher:faceapi), then trains.
cd /work/train-wt
while [ ! -f /work/main/runs/ferplus-kd/faceapi-probs.json ]; do sleep 30; done
exec nice -n 19 npm run retrain -- --init-from /work/main/models/emotion --teacher /work/main/models/emotion \
  --distill-weight 0.2 --ferplus-weight 0.3 --faceapi-weight 0.2 --selection fer+ferplus \
  --epochs 16 --lr 5e-4 --no-progress \
  --out /work/main/models/vgg16-ferplus --run-dir /work/main/runs/ferplus-kd "$@"
