import {
  addMentionKind,
  mentionRoleProblem,
  removeMentionKind,
  withRoleMention,
} from '../../lambdas/domain/mentions';

const GUILD = '200000000000000001';
const ROLE = '300000000000000077';

describe('role mentions', () => {
  it('a mentioned payload names the role first and allows that role only', () => {
    const payload = withRoleMention({ content: 'XEM fell', allowed_mentions: { parse: [] } }, ROLE);
    expect(payload.content).toBe(`<@&${ROLE}>\nXEM fell`);
    expect(payload.allowed_mentions).toEqual({ parse: [], roles: [ROLE] });
  });

  it('an embed-only payload gets the mention as its content', () => {
    expect(withRoleMention({ embeds: [{ title: 't' }] }, ROLE)).toMatchObject({
      content: `<@&${ROLE}>`,
      embeds: [{ title: 't' }],
    });
  });

  it.each([
    [GUILD, '@everyone cannot be mentioned'],
    ['everyone', 'is not a Discord role id'],
    ['<@&300000000000000077>', 'is not a Discord role id'],
  ])('role %s is refused: %s', (id, why) => {
    expect(mentionRoleProblem(id, GUILD)).toContain(why);
  });

  it('a valid role id has no problem', () => {
    expect(mentionRoleProblem(ROLE, GUILD)).toBeUndefined();
  });

  it('kinds add up for one role; another role replaces it; removing the last kind drops it', () => {
    const price = addMentionKind(undefined, ROLE, 'price');
    const both = addMentionKind(price, ROLE, 'news');
    expect(both).toEqual({ roleId: ROLE, kinds: ['price', 'news'] });
    expect(addMentionKind(both, '300000000000000099', 'refund')).toEqual({
      roleId: '300000000000000099',
      kinds: ['refund'],
    });
    expect(removeMentionKind(both, 'price')).toEqual({ roleId: ROLE, kinds: ['news'] });
    expect(removeMentionKind({ roleId: ROLE, kinds: ['news'] }, 'news')).toBeUndefined();
    expect(removeMentionKind(both, 'all')).toBeUndefined();
  });
});
