import { existsSync, readFileSync } from 'node:fs';
import { DockerfileParser, type Copy, type Instruction, type JSONInstruction } from 'dockerfile-ast';

const dockerfile = DockerfileParser.parse(readFileSync('Dockerfile', 'utf8'));

/** Instructions grouped by build stage name (the final stage last). */
function stages(): { name: string; instructions: Instruction[] }[] {
  const result: { name: string; instructions: Instruction[] }[] = [];
  for (const instruction of dockerfile.getInstructions()) {
    if (instruction.getKeyword() === 'FROM') {
      const from = dockerfile.getFROMs().find((f) => f.getRange().start.line === instruction.getRange().start.line);
      result.push({ name: from?.getBuildStage() ?? `stage ${result.length}`, instructions: [] });
    } else {
      result.at(-1)?.instructions.push(instruction);
    }
  }
  return result;
}

describe('Dockerfile', () => {
  const all = stages();
  const final = all.at(-1)!;
  const ofKind = (keyword: string) => final.instructions.filter((i) => i.getKeyword() === keyword);

  it('is multi-stage on a Node.js LTS slim base chosen by a build argument', () => {
    expect(all.length).toBeGreaterThanOrEqual(2);
    const arg = dockerfile.getARGs().find((a) => a.getProperty()?.getName() === 'NODE_IMAGE');
    const base = arg?.getProperty()?.getValue() ?? '';
    expect(base).toMatch(/^node:(\d+)-[\w-]*slim$/);
    expect(Number(/^node:(\d+)/.exec(base)?.[1]) % 2).toBe(0);
    expect(dockerfile.getFROMs().every((from) => from.getImageName() === '${NODE_IMAGE}')).toBe(true);
  });

  it('runs as the non-root node user', () => {
    const users = ofKind('USER').map((i) => i.getArgumentsContent());
    expect(users.at(-1)).toBe('node');
  });

  it('starts node with an exec-form CMD whose path the build produces, and exposes 8080', () => {
    const [cmd] = dockerfile.getCMDs() as JSONInstruction[];
    const argv = cmd?.getJSONStrings().map((s) => s.getJSONValue());
    expect(argv).toEqual(['node', 'dist/apps/server/main.js']);
    expect(existsSync(argv![1]!)).toBe(true);
    expect(ofKind('COPY').some((c) => c.getArgumentsContent()?.endsWith('./dist/apps'))).toBe(true);
    expect(ofKind('EXPOSE').map((i) => i.getArgumentsContent())).toEqual(['8080']);
  });

  it('ships only production dependencies in the final stage', () => {
    const copies = ofKind('COPY') as Copy[];
    const modules = copies.find((c) => c.getArgumentsContent()?.includes('node_modules'));
    const source = modules?.getFromFlag()?.getValue();
    const sourceStage = all.find((stage) => stage.name === source);
    const installs = sourceStage?.instructions.filter((i) => i.getKeyword() === 'RUN').map((i) => i.getArgumentsContent() ?? '');
    expect(installs).toEqual([expect.stringMatching(/^npm ci .*--omit=dev/)]);
    expect(ofKind('RUN')).toEqual([]);
    expect(copies.map((c) => c.getArgumentsContent())).not.toContain('. .');
  });
});
