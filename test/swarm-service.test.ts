import { describe, expect, it } from 'vitest';
import { serviceSpec, specHashOf } from '../dist/src/containers/swarm/swarm-service.js';

const spec = {
  appId: 7, companyId: 1, image: 'berth/runtime:2026.11-1', memoryMb: 128, cpuPercent: 25, pidsLimit: 200, appPort: 8080,
  hostPort: 20_007, diskMb: 1024, env: { PORT: '8080' }, hosts: {}, node: 'n2', specHash: 'abc',
};
const target = { name: 'b-app-7', nodeId: 'x1', nodeName: 'n2', volume: 'b-app-7-srv', labels: { 'berth.app': '7' } };

describe("an app's Swarm service", () => {
  it("joins no Swarm network (its node's default bridge), and stands for its spec hash", () => {
    const body = serviceSpec(spec, target) as { Labels: Record<string, string>; TaskTemplate: Record<string, unknown> };
    expect(body.TaskTemplate.Networks).toBeUndefined();
    expect(specHashOf({ Spec: body })).toBe('abc');
  });

  it('counts a service made while apps joined a Swarm network as outdated, so that it is remade without it', () => {
    const body = serviceSpec(spec, target) as { Labels: Record<string, string>; TaskTemplate: Record<string, unknown> };
    expect(specHashOf({ Spec: { ...body, TaskTemplate: { ...body.TaskTemplate, Networks: [{ Target: 'b-apps' }] } } })).toBe('');
  });
});
