/**
 * The one <video> that shows the camera stream, owned for the page's whole life. Scenes
 * borrow it into their layout and give it back; it never leaves the document, because a
 * browser pauses a media element taken out of the page and does not resume it when it is
 * put back (that froze every camera from round 2 on). Every move ends with a resume.
 * Generic over the element so the lending rules run in a unit test with fakes.
 */

/** What we need of an HTMLVideoElement. */
export interface PlayableLike {
  readonly paused: boolean;
  readonly isConnected: boolean;
  srcObject: MediaProvider | null;
  play(): Promise<void>;
}

/** Somewhere the video can be put: a scene's preview box, or the dock. */
export interface MountLike<E> {
  append(el: E): void;
}

export class CameraVideo<E extends PlayableLike = HTMLVideoElement> {
  /** Borrowers, most recent last: only the current one's return moves the video. */
  private readonly loans: MountLike<E>[] = [];

  /**
   * @param el the video element
   * @param dock an always-attached, barely visible place the video waits in between loans
   *   (kept rendered, not display:none, so the browser keeps decoding and presenting frames)
   */
  constructor(
    readonly el: E,
    private readonly dock: MountLike<E>,
  ) {
    dock.append(el);
  }

  get hasStream(): boolean {
    return this.el.srcObject !== null;
  }

  setStream(stream: MediaProvider | null): void {
    this.el.srcObject = stream;
    this.resume();
  }

  /** Puts the video into `into` (playing); call the returned function to give it back. */
  borrow(into: MountLike<E>): () => void {
    this.loans.push(into);
    into.append(this.el);
    this.resume();
    let returned = false;
    return () => {
      if (returned) return;
      returned = true;
      const i = this.loans.lastIndexOf(into);
      const wasCurrent = i === this.loans.length - 1;
      if (i >= 0) this.loans.splice(i, 1);
      if (!wasCurrent) return;
      // Back to the previous borrower if one is still showing it, else to the dock.
      (this.loans.at(-1) ?? this.dock).append(this.el);
      this.resume();
    };
  }

  /** Puts the video back into the page if something removed it, and resumes it. */
  redock(): void {
    if (!this.el.isConnected) (this.loans.at(-1) ?? this.dock).append(this.el);
    this.resume();
  }

  /** Plays the stream if it is paused (play() may be refused; the watchdog retries). */
  resume(): void {
    if (this.hasStream && this.el.paused) void this.el.play().catch(() => {});
  }
}
