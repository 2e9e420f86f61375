/** Scene keys, one constant each so a typo is a compile error. */
export const SCENES = {
  boot: 'Boot',
  preloader: 'Preloader',
  home: 'Home',
  lobby: 'Lobby',
  round: 'Round',
  roundResults: 'RoundResults',
  final: 'Final',
  leaderboard: 'Leaderboard',
} as const;

export type SceneKey = (typeof SCENES)[keyof typeof SCENES];
