import { describe, expect, it } from 'vitest';

import { parseBrief, type Brief } from '../../layers/copy/index.js';
import { steer } from '../../layers/copy/index.js';

function brief(raw: object): Brief {
  const parsed = parseBrief(raw);
  if (!parsed.success) throw new Error(JSON.stringify(parsed.issues));
  return parsed.data;
}

describe('Function: steer', () => {
  const zh = brief({ product: '冷泡乌龙', language: 'zh' });
  const en = brief({ product: 'Trail shoe', language: 'en' });

  it('restates Chinese feedback as a concrete instruction', () => {
    expect(steer(zh, '太正式了', []).instruction).toBe('太正式了；语气更口语、更轻松，像朋友聊天');
  });

  it('shortens the length target from the earlier variants when asked for shorter copy', () => {
    const earlier = ['x'.repeat(100), 'y'.repeat(120)];
    const steered = steer(en, 'shorter, add urgency', earlier);

    expect(steered.brief.length).toBe(77);
    expect(steered.instruction).toContain('Make it shorter and tighter');
    expect(steered.instruction).toContain('Add urgency');
  });

  it('passes unrecognised feedback on as it is', () => {
    expect(steer(en, 'mention the colour', [])).toEqual({
      brief: en,
      instruction: 'mention the colour',
    });
  });
});
