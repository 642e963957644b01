/** A promise a test opens when it chooses: where one delivery waits for another to reach a point (Node 20 lacks Promise.withResolvers). */
export function gate(): { passed: Promise<void>; open: () => void } {
  let open!: () => void;
  const passed = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { passed, open };
}
