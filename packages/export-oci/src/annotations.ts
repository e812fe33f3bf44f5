// buildx/BuildKit annotation options: `annotation.KEY=V` (the image manifest),
// `annotation-manifest.KEY`, `annotation-index.KEY`, `annotation-manifest-descriptor.KEY`,
// `annotation-index-descriptor.KEY`, each optionally limited to platforms as in
// `annotation-manifest[linux/amd64,linux/arm64].KEY`. The CLI's
// `--annotation [TYPE[PLATFORMS]:]KEY=V` is the same thing in buildx's flag form.
import { UsageError, formatPlatform, parsePlatform, type Platform } from '@pipekit/wire';

export type AnnotationTarget = 'manifest' | 'index' | 'manifest-descriptor' | 'index-descriptor';
export type Annotation = { target: AnnotationTarget; platforms: string[]; key: string; value: string };

const TARGETS: AnnotationTarget[] = ['manifest', 'index', 'manifest-descriptor', 'index-descriptor'];
const OPTION = /^annotation(?:-(manifest|index|manifest-descriptor|index-descriptor))?(?:\[([^\]]*)\])?\.(.+)$/;
const FLAG = /^(?:(manifest|index|manifest-descriptor|index-descriptor)?(?:\[([^\]]*)\])?:)?([^=]+)=(.*)$/s;

/** Whether an output option key is an annotation option. */
export function isAnnotationKey(key: string): boolean {
  return key === 'annotation' || key.startsWith('annotation.') || key.startsWith('annotation[') || key.startsWith('annotation-');
}

/** Parse one output option `annotation…KEY` with its value. */
export function parseAnnotationOption(key: string, value: string): Annotation {
  const m = OPTION.exec(key);
  if (!m || !m[3].trim()) {
    throw new UsageError(`invalid annotation option ${JSON.stringify(key)}: expected annotation[-${TARGETS.join('|-')}][PLATFORMS].KEY=VALUE`);
  }
  return { target: (m[1] as AnnotationTarget | undefined) ?? 'manifest', platforms: platforms(m[2], key), key: m[3], value };
}

/** Parse a `--annotation [TYPE[PLATFORMS]:]KEY=VALUE` flag into the output option it stands for. */
export function annotationFlagToOption(flag: string): [string, string] {
  const m = FLAG.exec(flag);
  if (!m || !m[3].trim()) throw new UsageError(`invalid --annotation ${JSON.stringify(flag)}: expected [TYPE[PLATFORMS]:]KEY=VALUE, TYPE one of ${TARGETS.join(', ')}`);
  const type = m[1] ? `-${m[1]}` : '';
  const plats = m[2] !== undefined ? `[${m[2]}]` : '';
  return [`annotation${type}${plats}.${m[3]}`, m[4]];
}

function platforms(list: string | undefined, key: string): string[] {
  if (list === undefined) return [];
  const out = list.split(',').map((p) => p.trim()).filter(Boolean);
  if (!out.length) throw new UsageError(`invalid annotation option ${JSON.stringify(key)}: empty platform list`);
  return out.map((p) => formatPlatform(parsePlatform(p)));
}

/** The annotations of one target that apply to `platform` (all platforms when it is undefined). */
export function annotationsFor(all: Annotation[], target: AnnotationTarget, platform?: Platform): Record<string, string> {
  const want = platform ? formatPlatform(platform) : undefined;
  const out: Record<string, string> = {};
  for (const a of all) {
    if (a.target !== target) continue;
    if (a.platforms.length && (want === undefined || !a.platforms.includes(want))) continue;
    out[a.key] = a.value;
  }
  return out;
}
