/**
 * Comments in kmslint.config.json (as in tsconfig.json): `// …` and `/* … *\/` outside strings are replaced
 * by spaces, keeping every line break, so that every position the JSON parser reports is still the position
 * in the file as written.
 */
export function blankJsonComments(text: string): string {
  // Most configs have no comment: nothing to copy.
  if (!text.includes("/")) return text;
  let out = "";
  let copiedTo = 0;
  let i = 0;
  const blank = (from: number, to: number) => {
    out += text.slice(copiedTo, from) + text.slice(from, to).replace(/[^\r\n\u2028\u2029]/g, " ");
    copiedTo = to;
  };
  while (i < text.length) {
    const c = text[i];
    if (c === '"') {
      // Skip the string, escapes included; an unterminated string is left to the parser to report.
      i++;
      while (i < text.length && text[i] !== '"' && text[i] !== "\n") i += text[i] === "\\" ? 2 : 1;
      i++;
    } else if (c === "/" && text[i + 1] === "/") {
      let end = i + 2;
      while (end < text.length && text[end] !== "\n" && text[end] !== "\r") end++;
      blank(i, end);
      i = end;
    } else if (c === "/" && text[i + 1] === "*") {
      const close = text.indexOf("*/", i + 2);
      // An unclosed block comment is left as written: the parser reports it where it starts.
      if (close < 0) break;
      blank(i, close + 2);
      i = close + 2;
    } else {
      i++;
    }
  }
  return copiedTo === 0 ? text : out + text.slice(copiedTo);
}
