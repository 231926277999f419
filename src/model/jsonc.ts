/**
 * JSON with comments, as tsconfig.json and kmslint.config.json allow: `// …` and `/* … *\/` outside strings,
 * and a comma before a closing `}` or `]`, are replaced by spaces, keeping every line break, so that every
 * position the JSON parser reports is still the position in the file as written.
 */
export function blankJsoncSyntax(text: string): string {
  // Most files have neither comments nor trailing commas worth a copy.
  if (!text.includes("/") && !/,\s*[}\]]/.test(text)) return text;
  const out = text.split("");
  const blank = (from: number, to: number) => {
    for (let k = from; k < to; k++) if (out[k] !== "\n" && out[k] !== "\r" && out[k] !== "\u2028" && out[k] !== "\u2029") out[k] = " ";
  };
  /** The last comma seen, when nothing but space and comments came after it. */
  let comma = -1;
  /** The last character that is not space or a comment (a comma after `{`, `[` or `,` is not a trailing one). */
  let previous = "";
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === '"') {
      comma = -1;
      previous = '"';
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
      if (c === "}" || c === "]") {
        if (comma >= 0) out[comma] = " ";
        comma = -1;
      } else if (c === ",") {
        comma = previous === "{" || previous === "[" || previous === "," || previous === "" ? -1 : i;
      } else if (!/\s/.test(c)) {
        comma = -1;
      }
      if (!/\s/.test(c)) previous = c;
      i++;
    }
  }
  return out.join("");
}
