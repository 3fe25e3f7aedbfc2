import { describe, expect, it } from 'vitest';
import { allowHeader, canonicalPath, classifyUnrouted } from './edge.js';

// The same cases as servers/python-common/tests/test_edge.py: both sides must decide alike.
describe('routing edge', () => {
  it('drops the query and decodes only unreserved escapes', () => {
    expect(canonicalPath('/hello_world?x=1')).toBe('/hello_world');
    expect(canonicalPath('/hello_world#frag')).toBe('/hello_world');
    expect(canonicalPath('/hello%5Fworld')).toBe('/hello_world');
    expect(canonicalPath('/hello%5fw%6Frld')).toBe('/hello_world');
    expect(canonicalPath('/%2Fhello_world')).toBe('/%2Fhello_world');
    expect(canonicalPath('/%zz%41')).toBe('/%zzA');
    expect(canonicalPath('//hello_world')).toBe('//hello_world');
  });

  it('lists GET, HEAD, OPTIONS or OPTIONS, POST, and nothing for near misses', () => {
    expect(allowHeader('/hello_world')).toBe('GET, HEAD, OPTIONS');
    expect(allowHeader('/predict')).toBe('OPTIONS, POST');
    expect(allowHeader('/hello_world/')).toBeUndefined();
    expect(allowHeader('/HELLO_WORLD')).toBeUndefined();
    expect(allowHeader('/constructor')).toBeUndefined();
  });

  it('classifies what no route took', () => {
    expect(classifyUnrouted('options', '/predict?x')).toEqual({ kind: 'options', allow: 'OPTIONS, POST' });
    expect(classifyUnrouted('PUT', '/predict')).toEqual({ kind: 'method', allow: 'OPTIONS, POST' });
    expect(classifyUnrouted('GET', '/nope')).toEqual({ kind: 'missing' });
  });
});
