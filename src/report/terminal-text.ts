/**
 * Text bound for the operator's terminal that carries what peers wrote (a blocked reason from a
 * commit message, a failure's cause from a CLI's output, what a turn says it is doing): its control
 * characters become `?`, so no escape sequence a peer planted reaches the terminal (clearing the
 * screen to print a fake status, retitling the window, OSC 52 writing the clipboard). Line breaks
 * and tabs stay. SECURITY.md, "The loop's run state".
 */
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;

export function terminalText(text: string): string {
  return text.replace(CONTROL, '?');
}
