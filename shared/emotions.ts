/** FER2013 label order. The index is the class id the model outputs. */
export const EMOTIONS = ['angry', 'disgust', 'fear', 'happy', 'sad', 'surprise', 'neutral'] as const;

export type Emotion = (typeof EMOTIONS)[number];
export type EmotionId = 0 | 1 | 2 | 3 | 4 | 5 | 6;

export const EMOTION_COUNT = EMOTIONS.length;

export interface EmotionInfo {
  readonly id: EmotionId;
  readonly key: Emotion;
  readonly displayName: string;
  readonly emoji: string;
}

export const EMOTION_INFO: Readonly<Record<Emotion, EmotionInfo>> = {
  angry: { id: 0, key: 'angry', displayName: 'Angry', emoji: '😠' },
  disgust: { id: 1, key: 'disgust', displayName: 'Disgust', emoji: '🤢' },
  fear: { id: 2, key: 'fear', displayName: 'Fear', emoji: '😨' },
  happy: { id: 3, key: 'happy', displayName: 'Happy', emoji: '😄' },
  sad: { id: 4, key: 'sad', displayName: 'Sad', emoji: '😢' },
  surprise: { id: 5, key: 'surprise', displayName: 'Surprise', emoji: '😮' },
  neutral: { id: 6, key: 'neutral', displayName: 'Neutral', emoji: '😐' },
};

export function isEmotion(value: unknown): value is Emotion {
  return typeof value === 'string' && (EMOTIONS as readonly string[]).includes(value);
}

export function emotionId(e: Emotion): EmotionId {
  return EMOTION_INFO[e].id;
}
