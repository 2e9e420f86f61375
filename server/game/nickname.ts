/** Nickname rules live in shared/ so the client and the server apply one rule; the core reads them from here. */
export { checkNickname, type NicknameCheck, nicknameSkeleton, nicknamesCollide } from '../../shared/nickname.ts';
