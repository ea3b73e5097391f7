/**
 * A batch's task ids as a pod carries them (`--tasks` and an annotation): runs of consecutive ids as ranges,
 * in execution order (never sorted: the order is the depth-first order the worker must follow).
 */
export function formatTaskList(tasks: readonly number[]): string {
  const parts: string[] = [];
  for (let i = 0; i < tasks.length;) {
    let j = i;
    while (j + 1 < tasks.length && tasks[j + 1] === tasks[j]! + 1) j++;
    parts.push(j - i >= 2 ? `${tasks[i]}-${tasks[j]}` : tasks.slice(i, j + 1).join(","));
    i = j + 1;
  }
  return parts.join(",");
}

/** The inverse of formatTaskList; a RangeError names the part that is not an id or a range. */
export function parseTaskList(text: string): number[] {
  if (text === "") return [];
  return text.split(",").flatMap((part) => {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!m) throw new RangeError(`'${part}' is not a task id or range`);
    const first = Number(m[1]);
    const last = m[2] === undefined ? first : Number(m[2]);
    return Array.from({ length: last - first + 1 }, (_, i) => first + i);
  });
}
