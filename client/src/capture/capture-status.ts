import type { DetectorBackend } from './backend-choice.ts';
import type { Box } from './crop-geometry.ts';
import type { VideoProblem } from './video-watchdog.ts';

export type CameraState = 'off' | 'starting' | 'on' | 'error';

/** Snapshot of the capture pipeline for the UI, the debug overlay and window.__arena. */
export interface CaptureStatus {
  camera: CameraState;
  /** Player-facing explanation when camera === 'error'. */
  cameraMessage: string | null;
  backend: DetectorBackend | null;
  /** Detections per second over the last few seconds. */
  detectFps: number;
  /** Frames sent to the server per second over the last few seconds. */
  sendFps: number;
  framesSent: number;
  facesInView: number;
  /** Largest face in video pixels, null when none. */
  faceBox: Box | null;
  videoWidth: number;
  videoHeight: number;
  sending: boolean;
  /** Why frames are not sent right now (for the UI), null while sending. */
  pausedReason: 'no-round' | 'hidden' | 'no-face' | 'spectator' | 'no-camera' | 'frozen' | null;
  /** What is wrong with the camera picture (paused, stalled clock, ended track), null when live. */
  videoProblem: VideoProblem | null;
  /** Times the capture controller reopened the camera by itself. */
  cameraRestarts: number;
}

export function emptyCaptureStatus(): CaptureStatus {
  return {
    camera: 'off',
    cameraMessage: null,
    backend: null,
    detectFps: 0,
    sendFps: 0,
    framesSent: 0,
    facesInView: 0,
    faceBox: null,
    videoWidth: 0,
    videoHeight: 0,
    sending: false,
    pausedReason: 'no-camera',
    videoProblem: null,
    cameraRestarts: 0,
  };
}
