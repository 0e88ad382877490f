import { describe, expect, it } from 'vitest';

import {
  blockTermsFor,
  checkText,
  checkTexts,
  complianceResultSchema,
  type ComplianceResult,
} from '../../layers/compliance/index.js';

/** What was flagged, as the original text it covers, with the rule family. */
function flagged(text: string, result: ComplianceResult = checkText(text)) {
  return result.violations.map((v) => ({ category: v.category, span: text.slice(v.start, v.end) }));
}

function categories(text: string): string[] {
  return checkText(text).violations.map((v) => v.category);
}

describe('Function: checkText', () => {
  describe('Chinese rule families', () => {
    it.each([
      ['全国销量第一的乌龙茶', 'absolute_terms', '销量第一'],
      ['冷泡乌龙，最好喝的夏日饮品', 'absolute_terms', '最好喝'],
      ['采用国家级工艺', 'absolute_terms', '国家级'],
      ['世界级品质', 'absolute_terms', '世界级'],
      ['本品是市面上唯一一款零糖茶', 'absolute_terms', '唯一'],
      ['都市白领的首选', 'absolute_terms', '首选'],
      ['史无前例的优惠', 'absolute_terms', '史无前例'],
      ['武夷山极品大红袍', 'absolute_terms', '极品'],
      ['顶级茶园直供', 'absolute_terms', '顶级'],
      ['百分百纯正', 'absolute_terms', '百分百'],
      ['国家领导人推荐的好茶', 'state_endorsement', '国家领导人推荐'],
      ['特供茶叶', 'state_endorsement', '特供'],
      ['喝了能治愈失眠', 'medical_claims', '治愈'],
      ['坚持饮用可根治胃病', 'medical_claims', '根治'],
      ['祖传秘方，药到病除', 'medical_claims', '药到病除'],
      ['纯植物配方，无副作用', 'safety_promises', '无副作用'],
      ['稳赚不赔，年化8%', 'finance_guarantees', '稳赚不赔'],
      ['零风险投资', 'finance_guarantees', '零风险'],
      ['大师开光手串', 'superstition', '开光'],
      ['佩戴即可转运', 'superstition', '转运'],
      ['专业药妆品牌', 'cosmetics_terms', '药妆'],
      ['报名即送教材，包过', 'guaranteed_results', '包过'],
      ['中国驰名商标', 'trademark_misuse', '中国驰名商标'],
    ])('flags %s as %s', (text, category, span) => {
      const result = checkText(text);

      expect(result.passed).toBe(false);
      expect(flagged(text, result)).toContainEqual({ category, span });
    });

    it('flags NO.1, TOP1 and 100% claims mixed into Chinese copy', () => {
      expect(flagged('品质NO.1，天猫TOP1，100%有效')).toEqual([
        { category: 'absolute_terms', span: 'NO.1' },
        { category: 'absolute_terms', span: 'TOP1' },
        { category: 'absolute_terms', span: '100%有效' },
      ]);
    });

    it('warns, without blocking, on special cosmetic efficacies', () => {
      const result = checkText('美白精华，一抹透亮');

      expect(result.passed).toBe(true);
      expect(result.violations).toMatchObject([
        { ruleId: 'zh.cosmetics.special_efficacy', severity: 'warn' },
      ]);
    });
  });

  describe('English rule families', () => {
    it.each([
      ['The best tea you will ever taste.', 'unsubstantiated_superlatives', 'The best'],
      ['We are the number one cold brew in town.', 'unsubstantiated_superlatives', 'number one'],
      ['Voted number one by readers.', 'unsubstantiated_superlatives', 'Voted number one'],
      ['The #1 choice for mornings.', 'absolute_terms', '#1'],
      ["World's first zero-sugar oolong.", 'unsubstantiated_superlatives', "World's first"],
      ['The only tea that fixes your day.', 'unsubstantiated_superlatives', 'The only'],
      ['Guaranteed results in 7 days.', 'guaranteed_results', 'Guaranteed results'],
      ['This serum cures acne overnight.', 'disease_claims', 'cures'],
      ['Our tea treats insomnia.', 'disease_claims', 'treats'],
      ['Drink daily to prevent cancer.', 'disease_claims', 'prevent'],
      ['No side effects, just energy.', 'safety_promises', 'No side effects'],
      ['Risk-free investing.', 'safety_promises', 'Risk-free'],
      ['A miracle cream.', 'miracle_claims', 'miracle'],
      ['FDA approved formula.', 'approval_misuse', 'FDA approved'],
    ])('flags %s as %s', (text, category, span) => {
      expect(flagged(text)).toContainEqual({ category, span });
    });

    it('warns on clinical claims that need evidence', () => {
      const result = checkText('Clinically proven to boost focus.');

      expect(result.passed).toBe(true);
      expect(result.violations).toMatchObject([{ category: 'evidence_claims', severity: 'warn' }]);
    });
  });

  describe('evasions (case 21 and kin)', () => {
    it.each([
      ['全\u200B国\u200B第\u200B一', '全\u200B国\u200B第\u200B一'],
      ['全 国 第 一', '全 国 第 一'],
      ['最🔥好', '最🔥好'],
      ['最\u3000佳', '最\u3000佳'],
      ['be\u200Bst', 'be\u200Bst'],
    ])('case 21: flags %j with the span in the original text', (text, span) => {
      const result = checkText(text);

      expect(result.passed).toBe(false);
      expect(flagged(text, result).map((f) => f.span)).toEqual([span]);
    });

    it('case 21: 第一步：冷泡 is clean', () => {
      expect(checkText('第一步：冷泡')).toEqual({ passed: true, violations: [] });
    });

    it.each([
      ['punctuation between characters', '销.量.第.一', '销.量.第.一'],
      ['emoji between Latin letters', 'the b✨e✨s✨t tea', 'the b✨e✨s✨t'],
      ['fullwidth Latin', 'ＴＯＰ１好茶', 'ＴＯＰ１'],
      ['fullwidth digits in a ranking', '品质ＮＯ．１', 'ＮＯ．１'],
      ['traditional characters', '國家級工藝', '國家級'],
      ['traditional characters in a longer term', '穩賺不賠', '穩賺不賠'],
      ['upper and mixed case', 'CuReS acne', 'CuReS'],
      ['letter-for-digit swaps', 'b3st tea ever', 'b3st'],
      ['digits for several letters', 'It cur3s 4cne', 'cur3s'],
      ['invisible joiners and soft hyphens', '无\u2060副\u00AD作用', '无\u2060副\u00AD作用'],
      ['Cyrillic look-alike letters', 'b\u0435st tea', 'b\u0435st'],
      [
        'spaces between Latin letters',
        'g u a r a n t e e d results',
        'g u a r a n t e e d results',
      ],
      ['mathematical bold letters', 'the 𝐛𝐞𝐬𝐭 tea', 'the 𝐛𝐞𝐬𝐭'],
      ['mathematical script letters', '𝓬𝓾𝓻𝓮𝓼 acne', '𝓬𝓾𝓻𝓮𝓼'],
      ['circled letters', 'Ⓑⓔⓢⓣ tea', 'Ⓑⓔⓢⓣ'],
      ['look-alike Han characters', '销量笫一', '销量笫一'],
      ['the formal numeral', '销量第壹', '销量第壹'],
      ['a Roman numeral one', '品质NO.Ⅰ', 'NO.Ⅰ'],
    ])('catches %s', (_kind, text, span) => {
      expect(flagged(text).map((f) => f.span)).toContain(span);
    });
  });

  describe('spans', () => {
    it('points into the original text around astral characters and invisibles', () => {
      const text = '🎉🎉 新品上市！最\u200B佳口感，销量NO.1';
      const result = checkText(text);

      expect(result.violations.map((v) => [v.start, v.end])).toEqual([
        [10, 13],
        [18, 22],
      ]);
      expect(result.violations.map((v) => text.slice(v.start, v.end))).toEqual([
        '最\u200B佳',
        'NO.1',
      ]);
    });

    it('reports the canonical term, reason and suggestion of the rule', () => {
      const [violation] = checkText('國家級').violations;

      expect(violation).toMatchObject({
        ruleId: 'zh.absolute.grade',
        category: 'absolute_terms',
        severity: 'block',
        term: '国家级',
        start: 0,
        end: 3,
      });
      expect(violation?.reason).toMatch(/广告法/);
      expect(violation?.suggestion.length).toBeGreaterThan(5);
    });

    it('covers both halves of surrogate-pair letters', () => {
      const text = '🎉𝐛𝐞𝐬𝐭🎉';
      const [violation] = checkText(text).violations;

      expect([violation?.start, violation?.end]).toEqual([2, 10]);
      expect(checkText('𝐛𝐞𝐬𝐭𝐨𝐰 a gift').violations).toEqual([]);
    });

    it('keeps the longest of overlapping terms', () => {
      expect(flagged('这是一款 miracle cure')).toEqual([
        { category: 'disease_claims', span: 'miracle cure' },
      ]);
      expect(flagged('最好')).toEqual([{ category: 'absolute_terms', span: '最好' }]);
    });

    it('lists violations in text order', () => {
      const { violations } = checkText('唯一的茶，最好喝，国家级，开光');
      const starts = violations.map((v) => v.start);
      expect(starts).toEqual([...starts].sort((a, b) => a - b));
      expect(starts).toHaveLength(4);
    });
  });

  describe('clean look-alikes', () => {
    it.each([
      '最近上新了冷泡乌龙',
      '最初的味道',
      '最后一天包邮',
      '最高可省50元',
      '最佳赏味期12个月',
      '开封后最好三天内喝完',
      '拒绝对身体有害的添加剂',
      '治愈系包装，一口就被治愈',
      '学生发现了新口味',
      '面包过了保质期请勿食用',
      '本品为普通食品，不具有治疗作用',
      'Double your money back if you are not happy.',
      'This product is not intended to diagnose, treat, cure, or prevent any disease.',
      '本品不能代替药物，不具有疾病治疗作用。',
      '第一次喝冷泡茶？',
      '第一步：冷水浸泡',
      '第一天打卡',
      '第1次购买享9折',
      '下单后第一时间发货',
      '國家公園旁的茶園',
      '转运中心已发货',
      '零风险退货，七天无理由',
      '100%纯棉T恤',
      '统一流程，品质可控',
      '独特供应链',
      '确保本周内发货',
      '甜美白桃乌龙',
      '一键打开光感模式',
      'Cured ham from Parma.',
      'Dry-cured salmon on rye.',
      'Best before 01/2026.',
      'Ships by first-class mail.',
      'Take bus number 1 to our shop.',
      'Gate number 1 is by the kiosk.',
      'A sweet treat for the afternoon.',
      'Treat yourself to something cold.',
      'Do your best work.',
      'Be stable, be calm.',
      'Bestow a gift.',
      'Secure checkout.',
      'Healthy snacks.',
      'Top 10 teas for summer.',
      'No, I think you will like it.',
      'Risk-free returns within 30 days.',
      'Prevent spills with a sealed lid.',
      '100% cotton, made in Portugal.',
    ])('does not flag %j', (text) => {
      expect(checkText(text)).toEqual({ passed: true, violations: [] });
    });
  });

  describe('superlatives and unfair clauses QA found passing', () => {
    it.each([
      ['The most effective stain remover.', 'en.superlative.unique', 'most effective'],
      ['Simply the finest oolong.', 'en.superlative.finest', 'the finest'],
      ["The world's finest matcha.", 'en.superlative.finest', "world's finest"],
      ['Powered by the most advanced chip.', 'en.superlative.unique', 'most advanced'],
      ['Unbeatable comfort.', 'en.superlative.unique', 'Unbeatable'],
      ['Customer care second to none.', 'en.superlative.unique', 'second to none'],
    ])('blocks %j as one unsubstantiated superlative', (text, ruleId, span) => {
      const result = checkText(text);

      expect(result.passed).toBe(false);
      expect(flagged(text, result)).toEqual([{ category: 'unsubstantiated_superlatives', span }]);
      expect(result.violations[0]).toMatchObject({ ruleId, severity: 'block' });
      expect(result.violations[0]?.suggestion.length).toBeGreaterThan(5);
    });

    it.each([
      ['最终解释权归本店所有。', '最终解释权归'],
      ['最终解释权归商家所有', '最终解释权归'],
      ['本活动最终解释权归本公司所有', '最终解释权归'],
      ['满100减20，本店保留最终解释权。', '保留最终解释权'],
      ['活动解释权归主办方所有', '解释权归'],
      ['最終解釋權歸本店所有', '最終解釋權歸'],
      ['最 终 解 释 权 归本店所有', '最 终 解 释 权 归'],
    ])('blocks %j as an unfair clause, once, without a 最 report', (text, span) => {
      const result = checkText(text);

      expect(result.passed).toBe(false);
      expect(flagged(text, result)).toEqual([{ category: 'unfair_terms', span }]);
      expect(result.violations[0]).toMatchObject({
        ruleId: 'zh.unfair.final_interpretation',
        severity: 'block',
      });
      expect(result.violations[0]?.reason).toMatch(/消费者权益保护法/);
    });

    it.each([
      '最终文案以品牌方确认为准。',
      '最终版本将于周五上线。',
      '最终价格以结算页为准。',
      '活动规则的说明见详情页。',
      'Most people drink it cold.',
      'Steep for at most 3 minutes, at the most 4.',
      'See the most recent update in our app.',
      'Make the most of summer; for the most part it is sweet.',
      'Read the fine print before you subscribe.',
      'Use the finest grind setting for espresso.',
      'Grind on the finest setting for Turkish coffee.',
      'Grind it finest grind for Turkish coffee.',
    ])('does not flag %j', (text) => {
      expect(checkText(text)).toEqual({ passed: true, violations: [] });
    });

    it('only warns on bare "finest" and on a "the most" no rule names', () => {
      for (const [text, ruleId, span] of [
        ['Finest Darjeeling leaves.', 'en.superlative.puffery', 'Finest'],
        ['The most comfortable shoes.', 'en.superlative.the_most', 'The most'],
      ] as const) {
        const result = checkText(text);

        expect(result.passed).toBe(true);
        expect(result.violations).toMatchObject([{ ruleId, severity: 'warn' }]);
        expect(flagged(text, result).map((f) => f.span)).toEqual([span]);
      }
    });

    it('reports one of two crossing hits, a block before a warn', () => {
      expect(checkText('The most popular tea.').violations).toMatchObject([
        { ruleId: 'en.superlative.bestselling', severity: 'block', start: 4, end: 16 },
      ]);
      expect(flagged('全网第一品牌')).toEqual([{ category: 'absolute_terms', span: '全网第一' }]);
    });
  });

  describe('language', () => {
    it('applies Chinese rules to text with Han characters even when language says en', () => {
      expect(categories('最好的茶')).toEqual(['absolute_terms']);
      expect(checkText('最好的茶', { language: 'en' }).passed).toBe(false);
    });

    it('applies English rules inside Chinese copy', () => {
      expect(flagged('这款茶是 the best')).toEqual([
        { category: 'unsubstantiated_superlatives', span: 'the best' },
      ]);
    });

    it('needs no language for English text', () => {
      expect(checkText('The best tea').passed).toBe(false);
    });
  });

  describe('brand terms', () => {
    it('blocks the brand banned terms, evasions included', () => {
      const brand = { bannedTerms: ['便宜', 'cheap'] };
      const text = '便 宜又好喝，not CHEAP';
      const result = checkText(text, { brand });

      expect(result.passed).toBe(false);
      expect(result.violations.map((v) => [v.ruleId, text.slice(v.start, v.end)])).toEqual([
        ['brand.banned', '便 宜'],
        ['brand.banned', 'CHEAP'],
      ]);
    });

    it('warns when a required term is missing, and not when it is there', () => {
      const brand = { requiredTerms: ['山茶'] };

      expect(checkText('冷泡乌龙上新', { brand }).violations).toMatchObject([
        { ruleId: 'brand.required', severity: 'warn', term: '山茶', start: 0, end: 0 },
      ]);
      expect(checkText('山茶冷泡乌龙上新', { brand }).violations).toEqual([]);
    });
  });

  describe('channel editorial rules', () => {
    it('blocks exclamation marks, emoji and shouting in Google headlines', () => {
      const text = 'FREE shipping! 🚚';
      const result = checkText(text, { channel: 'google_search', field: 'headline' });

      expect(result.passed).toBe(false);
      expect(result.violations.map((v) => [v.ruleId, text.slice(v.start, v.end)])).toEqual([
        ['channel.google_search.headline.gimmicky_caps', 'FREE'],
        ['channel.google_search.headline.exclamation', '!'],
        ['channel.google_search.headline.emoji', '🚚'],
      ]);
    });

    it('blocks repeated punctuation and alternating case in Google descriptions', () => {
      const text = 'Really?? ShOp now';
      const ids = checkText(text, { channel: 'google_search', field: 'body' }).violations.map(
        (v) => v.ruleId,
      );

      expect(ids).toEqual([
        'channel.google_search.body.repeated_punctuation',
        'channel.google_search.body.gimmicky_caps',
      ]);
    });

    it('leaves acronyms, camel-case brands and one exclamation in descriptions alone', () => {
      const result = checkText('USB-C cable for your iPhone. Order today!', {
        channel: 'google_search',
        field: 'body',
      });
      expect(result.violations).toEqual([]);
    });

    it('flags the part of a headline past 30 columns, counting CJK as 2', () => {
      const text = '山茶冷泡乌龙零糖冷萃十二小时清爽';
      const [violation] = checkText(text, {
        channel: 'google_search',
        field: 'headline',
      }).violations;

      expect(violation).toMatchObject({
        ruleId: 'channel.google_search.headline.length',
        severity: 'block',
      });
      expect(text.slice(violation?.start, violation?.end)).toBe('爽');
    });

    it('only warns past a soft limit', () => {
      const result = checkText('x'.repeat(130), { channel: 'meta_feed', field: 'body' });

      expect(result.passed).toBe(true);
      expect(result.violations).toMatchObject([
        { category: 'channel_length', severity: 'warn', start: 125 },
      ]);
    });

    it('applies only rules shared by all fields when no field is given', () => {
      const result = checkText('Fresh tea!', { channel: 'google_search' });
      expect(result.violations).toEqual([]);
    });
  });
});

describe('Schema: complianceResultSchema', () => {
  it('accepts what checkText answers, offsets inside the text', () => {
    const text = '全\u200B国第一，the best, 最🔥好';
    const result = complianceResultSchema.parse(checkText(text));

    expect(result.violations).toHaveLength(3);
    for (const v of result.violations) expect(v.end).toBeLessThanOrEqual(text.length);
  });
});

describe('Input', () => {
  it('fails with a TypeError that names what it got when the text is not a string', () => {
    expect(() => checkText(undefined as unknown as string)).toThrow(
      'compliance check expects a string, got undefined',
    );
  });

  it('answers an empty text with a pass', () => {
    expect(checkText('')).toEqual({ passed: true, violations: [] });
  });
});

describe('Function: checkTexts', () => {
  it('answers one result per text, in order', () => {
    const results = checkTexts(['最近上新', '最好喝', 'best tea']);
    expect(results.map((r) => r.passed)).toEqual([true, false, false]);
  });
});

describe('Function: blockTermsFor', () => {
  it('lists context-free block terms of the language and of every language', () => {
    const zh = blockTermsFor('zh');

    expect(zh).toEqual(
      expect.arrayContaining(['国家级', '药到病除', '稳赚不赔', '开光', '100%有效']),
    );
    expect(zh).not.toContain('美白');
    expect(zh).not.toContain('best');
  });

  it('leaves out terms that need context to judge', () => {
    expect(blockTermsFor('zh')).not.toContain('第一');
    expect(blockTermsFor('zh')).not.toContain('最');
    expect(blockTermsFor('en')).not.toContain('cured');
    expect(blockTermsFor('en')).toContain('fda approved');
  });
});
