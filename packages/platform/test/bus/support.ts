import { randomBytes } from 'node:crypto';
import { defineContract, registerContract } from '@lattice/contracts';
import { Type } from 'typebox';
import type { DeadLetter } from '../../src/bus/dead-letter.ts';
import { createEvent } from '../../src/bus/envelope.ts';
import type { CloudEvent, EventBus, Subscription } from '../../src/bus/event-bus.ts';

/** A context name no other test run uses, so streams, subjects and groups never collide. */
export function uniqueContext(prefix: string): string {
  return `${prefix}${randomBytes(4).toString('hex')}`;
}

export interface ItemCreated {
  n: number;
  label?: string;
}

/**
 * Registers `lattice.<context>.<aggregate>.created.v1` for this run and returns its helpers.
 * Each test takes its own aggregate name: a new group reads a subject from its beginning.
 */
export function testEvents(context: string, aggregate = 'item') {
  const type = `lattice.${context}.${aggregate}.created.v1`;
  registerContract(
    defineContract({
      type,
      schema: Type.Object({ n: Type.Integer(), label: Type.Optional(Type.String()) }),
      producer: 'tests',
      consumers: ['tests'],
      description: 'test event',
      examples: [{ n: 1 }],
    }),
  );
  return {
    type,
    subject: `${context}.${aggregate}.created.v1`,
    event: (n: number, aggregate = `item-${n}`, extra: Partial<CloudEvent<ItemCreated>> = {}) => ({
      ...createEvent<ItemCreated>({
        source: 'tests',
        type,
        subject: aggregate,
        tenantId: 't1',
        data: { n },
      }),
      ...extra,
    }),
  };
}

export async function waitFor(
  what: string,
  predicate: () => boolean,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Subscribes to the dead letters of `group`, as an operator's tool would. */
export async function collectDeadLetters(
  bus: EventBus,
  group: string,
): Promise<{ letters: DeadLetter[]; subscription: Subscription }> {
  const letters: DeadLetter[] = [];
  const subscription = await bus.subscribe<DeadLetter>({
    group: `${group}-dl`,
    subjects: [`deadletter.${group}.>`],
    handler: async ({ event }) => {
      letters.push(event.data);
    },
  });
  return { letters, subscription };
}
