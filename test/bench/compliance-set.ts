/**
 * The labelled set for the compliance checker: Chinese and English copy written by the team,
 * plain violations, evasions of each kind and clean look-alikes. Each entry marks what must be
 * flagged as [[K:term]], K being a category key below; evasion entries are made from plain ones
 * by disguising the marked term, so their labels stay exact.
 */

/** Category keys used in the markup. */
const CATEGORY: Record<string, string> = {
  A: 'absolute_terms',
  S: 'state_endorsement',
  M: 'medical_claims',
  P: 'safety_promises',
  F: 'finance_guarantees',
  X: 'superstition',
  C: 'cosmetics_terms',
  U: 'unsubstantiated_superlatives',
  G: 'guaranteed_results',
  D: 'disease_claims',
  R: 'miracle_claims',
  V: 'approval_misuse',
  E: 'evidence_claims',
  T: 'trademark_misuse',
};

/** One expected violation: its category and the exact original text it covers. */
export interface ExpectedViolation {
  category: string;
  start: number;
  end: number;
}

/** One labelled text. */
export interface LabelledText {
  text: string;
  kind: string;
  expected: ExpectedViolation[];
}

const PLAIN_ZH = [
  '本店乌龙茶[[A:销量第一]]，欢迎品尝。',
  '冷泡乌龙，[[A:最好喝]]的夏日饮品。',
  '采用[[A:国家级]]工艺，口感醇厚。',
  '[[A:世界级]]品质，匠心之作。',
  '[[A:顶级]]茶园直供，每一口都新鲜。',
  '武夷山[[A:极品]]大红袍限量发售。',
  '都市白领的[[A:首选]]下午茶。',
  '[[A:史无前例]]的优惠力度，错过再等一年。',
  '本品是市面上[[A:唯一]]一款零糖冷萃茶。',
  '山茶冷泡乌龙，品质[[A:NO.1]]。',
  '天猫茶饮[[A:TOP1]]，值得信赖。',
  '[[A:100%有效]]，[[M:无效退款]]。',
  '[[S:国家领导人推荐]]的好茶。',
  '[[S:特供]]茶叶，限量供应。',
  '[[S:国宴专用]]茶具，送礼有面。',
  '喝了能[[M:治愈]]失眠。',
  '坚持饮用可[[M:根治]]胃病。',
  '祖传秘方，[[M:药到病除]]。',
  '纯植物配方，[[P:无副作用]]。',
  '[[M:降血压]]、[[M:降血糖]]的养生茶。',
  '[[M:抗癌]]功效显著，中老年人必备。',
  '理财产品[[F:保本]][[F:保息]]，放心存。',
  '[[F:稳赚不赔]]，年化收益8%。',
  '[[F:零风险]]投资，轻松理财。',
  '存入即享[[F:保证收益]]。',
  '大师[[X:开光]]貔貅手串，招财纳福。',
  '佩戴即可[[X:转运]]，好运连连。',
  '家居[[X:风水]]摆件，[[X:镇宅]][[X:辟邪]]。',
  '专业[[C:药妆]]品牌，修护敏感肌。',
  '[[C:医学护肤品]]，皮肤科医生都在用。',
  '面霜[[C:无激素]]，孕期可用。',
  '精华[[C:祛痘]]不留印。',
  '这款洗发水能[[C:防脱发]]。',
  '[[A:最佳]]口感只在冷泡。',
  '今年[[A:最受欢迎]]的茶饮。',
  '[[A:顶尖]]工艺，[[A:极致]]口感。',
  '品牌[[A:独一无二]]的冷萃技术。',
  '[[A:遥遥领先]]同类产品。',
  '行业[[A:领导品牌]]，值得信赖。',
  '[[A:全网首发]]夏季新品。',
  '本品[[A:绝对]]好喝。',
  '[[A:万能]]清洁剂，一瓶搞定全家。',
  '[[A:百分百]]纯正乌龙。',
  '这是我喝过[[A:最香]]的茶。',
  '[[A:最新]]科技，[[A:最先进]]的工艺。',
  '品质[[A:第一]]，服务至上。',
  '[[A:世界第一]]的冷萃技术。',
  '[[A:首个]]获得有机认证的茶品牌。',
  '[[A:至尊]]礼盒，送礼[[A:首选]]。',
  '每天一杯，[[M:增强免疫力]]。',
  '每天一杯，[[M:延年益寿]]。',
  '[[M:消炎]][[M:止痛]]的草本茶。',
  '[[P:安全无害]]，放心饮用。',
  '跟着买，投资[[F:稳赚]]。',
  '平台承诺[[F:刚性兑付]]。',
  '买它就能[[X:时来运转]]。',
  '[[S:卫生部推荐]]的降脂茶。',
  '[[C:医用级]]面膜，敷完就透亮。',
  '强效[[C:除皱]]精华，一周见效。',
  '[[C:美白]]精华，一抹透亮。',
  '[[A:独家]]配方，匠心出品。',
  '喝出好身材，[[M:减肥]]不反弹。',
  '[[A:最低价]]，买贵退差。',
  '冷萃工艺[[A:无与伦比]]。',
  '[[A:最]]懂白领的一杯茶。',
  '这款面膜让你[[C:美白]]又[[C:祛斑]]。',
  '理财[[F:保本]]，到期[[F:刚性兑付]]。',
  '全网[[A:最低]]，买贵包退。',
  '官方[[A:唯一]]指定经销商。',
  '[[A:最]]会做茶的品牌。',
  '我们是[[A:行业第一]]的茶饮品牌。',
  '这杯茶能[[M:治疗]]咽炎。',
  '孕妇可放心饮用，[[P:无毒无害]]。',
  '连续三年[[A:销量冠军]]。',
  '[[S:政府指定]]供应商。',
  '祖传[[M:处方]]，[[M:专治]]脱发。',
  '[[X:招财进宝]]的[[X:开运]]摆件。',
  '榜单[[A:TOP 1]]的冷泡茶。',
  '[[A:一流]]的口感，[[A:一流]]的品质。',
  '茶多酚含量高，[[M:抗氧化]]。',
  '[[A:国际领先]]的冷萃技术。',
  '坚持使用[[C:生发液]]，告别秃头。',
  '本品[[M:治愈率]]高达95%。',
  '报名即送教材，[[G:包过]]！[[G:不过全额退款]]。',
  '[[M:降低胆固醇]]，守护心血管。',
  '[[T:中国驰名商标]]，值得信赖。',
  '学区房，升值潜力巨大，[[F:稳赚不赔]]。',
];

const PLAIN_EN = [
  'The [[U:best]] tea you will ever taste.',
  'Voted [[U:number one]] cold brew in town.',
  'The [[A:#1]] choice for busy mornings.',
  "[[U:World's first]] zero-sugar oolong.",
  '[[G:Guaranteed results]] in just 7 days.',
  'This serum [[D:cures]] acne overnight.',
  'Our tea [[D:treats]] insomnia naturally.',
  'Drink it daily to [[D:prevent]] cancer.',
  '[[P:No side effects]], just pure energy.',
  '[[P:Risk-free]] investing with steady returns.',
  'A [[R:miracle]] cream for tired skin.',
  '[[V:FDA approved]] formula for glowing skin.',
  '[[U:Unbeatable]] prices every day.',
  '[[U:Best-selling]] tea in America.',
  '[[G:Lose weight fast]] with our slimming tea.',
  '[[G:Guaranteed returns]] of 12% a year.',
  '[[P:100% safe]] for the whole family.',
  '[[E:Clinically proven]] to boost focus.',
  'The [[U:greatest]] coffee ever brewed.',
  'Our balm [[D:heals]] eczema in days.',
  '[[U:Industry-leading]] battery life.',
  "The [[U:world's best]] oolong, picked by hand.",
  'This capsule [[D:fights]] infections.',
  '[[R:Miraculous]] change in a week.',
  '[[U:Unmatched]] quality in every cup.',
  'Get [[G:instant results]] with one sip.',
  '[[V:Government approved]] supplement.',
  'The [[U:cheapest]] flights online.',
  '[[G:Double your money]] in 30 days.',
  '[[U:Number 1]] in customer satisfaction.',
  'A tea that [[D:relieves]] migraines.',
  '[[P:Completely safe]] for newborns.',
  '[[V:Approved by the FDA]] for daily use.',
  '[[U:Top-rated]] cold brew of the year.',
  'Our gummies [[D:prevent]] colds and flu.',
  'Taste the [[U:best]] of summer.',
  '[[U:Second to none]] in freshness.',
  '[[R:Magic pill]] for weight loss.',
  'A [[D:cure]] for dry, tired skin.',
  '[[U:Unrivalled]] flavour, every time.',
  '[[A:No.1]] tea brand in Asia.',
  'It [[D:cures]] hangovers in minutes.',
  '[[G:Guaranteed to work]] or your money back.',
  'The [[U:best]]-tasting decaf around.',
  '[[R:Doctors hate]] this [[R:miracle]] trick.',
  '[[E:Dermatologist recommended]] formula.',
  '[[U:Highest quality]] leaves from Fujian.',
  '[[D:Say goodbye to]] acne for good.',
  '[[D:Boosts]] your immune system naturally.',
  '[[D:Lowers]] blood pressure in 2 weeks.',
  '[[D:Reduces]] anxiety in days.',
  'Helps you [[G:lose weight without dieting]].',
  'Premium quality at the [[U:lowest price]].',
  '[[U:The safest]] car in its class.',
  '[[U:Ranked #1 by]] Consumer Reports 2025.',
  '[[U:Voted best]] coffee shop in Leeds 2024 by Leeds Live readers.',
  '[[D:Prevents]] hair loss and promotes regrowth.',
];

const CLEAN = [
  '最近上新了冷泡乌龙。',
  '最初的味道，来自武夷山。',
  '最后一天，限时包邮。',
  '第一次喝冷泡茶？试试这款。',
  '第一步：冷水浸泡12小时。',
  '第一天打卡，活力满满。',
  '國家公園旁的小茶園。',
  '国家公园里的一杯茶。',
  '最多可减30元。',
  '最高可省50元。',
  '转运中心已发货，请留意物流。',
  '下单后第一时间发货。',
  '第一口就爱上这份清爽。',
  '统一流程，品质可控。',
  '0糖0脂，冷萃12小时。',
  '开学第一课，来杯冷泡茶。',
  '第一批春茶到货。',
  '零风险退货，七天无理由。',
  '100%纯棉T恤，透气舒适。',
  '信心十足，干劲满满。',
  '顶部开口设计，方便倒出。',
  '极简包装，环保材料。',
  '首页领券，首次下单立减。',
  '新品首发，限时尝鲜。',
  '地铁1号线出口就到。',
  '第1次购买享9折。',
  '疗愈系包装，看着就开心。',
  '一键打开光感模式。',
  '冠军同款运动水壶。',
  '特别供应的夏日限定口味。',
  '健康生活从第一杯开始。',
  '本季第一波上新。',
  '山茶冷泡乌龙，冷萃12小时，0糖清爽。',
  '都市白领的下午茶时光。',
  '采用低温冷萃工艺，茶香更清透。',
  '第一章：一片茶叶的旅程。',
  '最终解释权归本店所有。',
  'Cured ham from Parma, sliced thin.',
  'Best before 01/2026, keep refrigerated.',
  'Ships by first-class mail within 2 days.',
  'Take bus number 1 to our shop.',
  'A sweet treat for the afternoon.',
  'Treat yourself to something cold.',
  'Best wishes for the holidays from our team.',
  'Do your best work with a clear head.',
  'Gate number 1 is next to our kiosk.',
  'Step 1: steep for 12 hours.',
  'Best regards from the tea team.',
  'Dry-cured salmon on rye bread.',
  'Be stable, be calm, drink tea.',
  'Bestow a gift on someone special.',
  'Risk-free returns within 30 days.',
  'Prevent spills with a sealed lid.',
  'Fight boredom with bold flavours.',
  'We only use whole leaves.',
  'Healthy snacks for busy people.',
  'Secure checkout and fast delivery.',
  'Top 10 teas to try this summer.',
  'A first-class seat on every flight.',
  'Cure time is 24 hours for this resin.',
  '100% cotton, made in Portugal.',
  'The number of flavours keeps growing.',
  'Only $5 for a limited time.',
  'Treat your dog to our new chews.',
  'Your best morning starts here.',
  'All the best from the team.',
  'Best practices for brewing at home.',
  'No, I think you will like it.',
  'Cold-brewed for 12 hours, zero sugar.',
  'Room number 1 is our tasting room.',
  'Smoked and salt-cured bacon, thick cut.',
  'Say hello to summer with iced oolong.',
  'Preventive care tips for your tea set.',
  'Treating guests? Order a tasting box.',
  'Be still and sip slowly.',
  'A curated box of six teas.',
  'Track 1 of our brewing playlist.',
  'Bus route 1 stops by the door.',
  'Heal the planet one refill at a time? We try.',
  'Subscribe for best-before reminders.',
  '第一代冷泡壶升级了。',
  '第一轮抽奖结果公布。',
  '第一届山茶节开幕。',
  '每周第一个工作日上新。',
  '冷萃第一道工序是选叶。',
  '第一眼就心动。',
  '第一单免运费。',
  '符合国家标准GB/T 22111。',
  '《国家地理》推荐的旅行路线。',
  '独特供应链，从茶园到杯子只要三天。',
  '确保本周内发货。',
  '甜美白桃乌龙，夏日限定。',
  '离开光线直射处保存。',
  '最近天气热，来杯冰茶。',
  'Prevent stains on your mugs.',
  'Fight the afternoon slump.',
  'A cold brew that beats the heat.',
  'No more waiting in line.',
  'The only tea we drink at home.',
  'Top picks for spring.',
  'Firstly, warm the pot.',
  "Italy's best-kept secret.",
  'Best served chilled.',
  'At best, it takes a minute.',
  'Guaranteed delivery by Friday.',
  'Money-back guarantee for 30 days.',
  'Our most popular flavour is back.',
  'Supports healthy digestion.',
  'Reduce stress with a calming cup.',
  'Loved by 10,000 office workers.',
  'The perfect companion for long meetings.',
  'Save 20% on your first order.',
  'Lower prices every Friday.',
  'Ease into your morning.',
  'Best of all, it has zero sugar.',
  'Try it risk-free for 30 days.',
  'Past performance does not guarantee future results.',
  'Clinically tested on 200 volunteers.',
  'Supports normal immune function.',
  'Protects against 99% of UV rays.',
  'Earn up to 12% a year with our savings plan.',
  '投资有风险，入市需谨慎。',
  '本品不能代替药物。',
  '已通过ISO9001认证。',
  '面包过了保质期请勿食用。',
  '打包过来的奶茶也好喝。',
  '壹佰元代金券，限时领取。',
  '嘬一口，清爽到底。',
  '比咖啡更温和的提神选择。',
  '上班第一件事，来杯冷泡乌龙。',
  '店铺销量领先，好评如潮。',
  '新客首单立减10元，第二杯半价。',
  '统一流程，专一流派。',
  '最佳赏味期12个月。',
  '开封后最好三天内喝完。',
  '最佳冲泡温度85℃。',
  '最好提前冷藏，口感更清爽。',
  '拒绝对身体有害的添加剂。',
  '学生发现了新口味。',
  '防脱落卡扣设计，出门不洒。',
  '治愈系包装，一口就被治愈。',
  '这杯茶太治愈了。',
];

/** A round written without looking at the rules (labels fixed where the first labelling erred). */
const HELD_OUT = [
  '秋冬新品，暖心上市。',
  '[[A:全网最低价]]，仅此一天。',
  '[[A:行业领先]]的研发团队。',
  '[[M:根治]]鼻炎，一周见效。',
  '每天一包，[[M:排毒]]养颜。',
  '宝宝辅食，无添加，妈妈放心。',
  '[[F:年化收益保证]]10%，到期还本。',
  '开箱即用，三步完成安装。',
  '第三代产品，全面升级。',
  '我们是第一个把冷萃带到小城的品牌。',
  '[[X:风水]]好物，家宅平安。',
  '[[C:美白]][[C:淡斑]]，焕亮肌肤。',
  '品质之选，值得拥有。',
  '顾客评价：这是我喝过[[A:最棒]]的茶。',
  '限量发售，先到先得。',
  'Handcrafted in small batches since 1998.',
  '[[U:Best]] value for money in town.',
  'Free shipping on orders over $30.',
  'Brewed slowly for a smoother taste.',
  'Our [[D:treats]] calm anxiety in dogs.',
  'Perfect for picnics and road trips.',
  'Guaranteed to make you smile.',
  'Join 50,000 happy customers.',
  '[[P:No risk]], cancel anytime.',
  'Limited edition, while stocks last.',
  'A [[R:miracle]] in every bottle.',
  '[[V:FDA-approved]] ingredients only.',
  'Gentle on skin, tough on dirt.',
  'Lab-tested for purity.',
  '[[U:Number 1]] choice of chefs.',
  '[[A:极致]]性价比，闭眼入。',
  '新品尝鲜价，立省20元。',
  '源自云南高山的[[A:顶级]]普洱。',
  '喝出[[A:第一]]好气色。',
  '这款按摩仪能[[M:治疗]]颈椎病。',
  '孕妈也能放心喝，[[P:零副作用]]。',
  '老师一对一辅导，成绩提升看得见。',
  '[[G:保证提分]]，不提分退费。',
  '月入过万不是梦，[[F:躺赚]]副业。',
  '[[X:招财进宝]]，[[X:开运]]必备。',
  '夏天第一杯，就选冷泡乌龙。',
  '全城最近的一家门店就在地铁口。',
  '本品为普通食品，不具有治疗作用。',
  '唯有好茶，不负时光。',
  '比上一代轻了30%。',
  'Say hello to your new favourite snack.',
  'Rated 4.8 stars by 2,000 customers.',
  '[[D:Cures]] colds in 24 hours.',
  'A [[U:first-class]] experience from start to finish.',
  'Our [[U:most powerful]] blender yet.',
  'Safe for septic tanks.',
  '[[G:Results guaranteed]] or double your money back.',
  'Number 10 on the menu is our favourite.',
  'Treat your feet to our new insoles.',
  '[[E:Clinically proven]] to reduce redness.',
  'Prevents fogging on glasses.',
  'Unlock your best summer yet.',
  'Helps maintain healthy skin.',
  'This product is not intended to diagnose, treat, cure, or prevent any disease.',
  '本品不能代替药物，不具有疾病治疗作用。',
  '[[U:World-class]] service, every time.',
];

/** Traditional-character copy (its own kind of evasion), marked like the plain entries. */
const TRADITIONAL = [
  '採用[[A:國家級]]工藝，口感醇厚。',
  '[[A:頂級]]茶園直供。',
  '本品是市面上[[A:唯一]]一款零糖茶。',
  '喝了能[[M:治癒]]失眠。',
  '純植物配方，[[P:無副作用]]。',
  '[[F:穩賺不賠]]，年化收益8%。',
  '大師[[X:開光]]手串。',
  '專業[[C:藥妝]]品牌。',
  '[[A:最佳]]口感只在冷泡。',
  '[[A:銷量第一]]的冷泡茶。',
  '[[S:國家領導人推薦]]的好茶。',
  '[[F:零風險]]投資，輕鬆理財。',
  '佩戴即可[[X:轉運]]，好運連連。',
  '[[A:史無前例]]的優惠。',
];

/** Look-alike and variant characters, another kind of evasion. */
const LOOKALIKE = [
  '本店乌龙茶[[A:销量笫一]]。',
  '[[A:销量第壹]]的冷泡茶。',
  '品质[[A:NO.Ⅰ]]，值得信赖。',
  '[[A:冣好喝]]的乌龙茶。',
  '山茶冷泡乌龙，[[A:第①]]品牌。',
];

const ZH_DISGUISES: Array<[string, (term: string) => string]> = [
  ['evasion_zero_width', (t) => [...t].join('\u200B')],
  ['evasion_spaces', (t) => [...t].join(' ')],
  ['evasion_punctuation', (t) => [...t].join('.')],
  ['evasion_emoji', (t) => [...t].join('🔥')],
  ['evasion_ideographic_space', (t) => [...t].join('\u3000')],
  ['evasion_invisible_mix', (t) => [...t].join('\u2060\u00AD')],
  ['evasion_fullwidth', (t) => toFullwidth(t)],
];

const EN_DISGUISES: Array<[string, (term: string) => string]> = [
  [
    'evasion_case',
    (t) => [...t].map((c, i) => (i % 2 ? c.toUpperCase() : c.toLowerCase())).join(''),
  ],
  ['evasion_leet', (t) => leet(t)],
  ['evasion_zero_width', (t) => [...t].join('\u200B')],
  ['evasion_spaces', (t) => [...t].join(' ')],
  ['evasion_fullwidth', (t) => toFullwidth(t)],
  ['evasion_punctuation', (t) => [...t].join('.')],
  ['evasion_emoji', (t) => [...t].join('✨')],
  ['evasion_math_letters', (t) => mathBold(t)],
];

function toFullwidth(term: string): string {
  return term.replace(/[!-~]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 0xfee0));
}

// Mathematical bold letters (U+1D41A 'a'.., U+1D400 'A'..), a common disguise on social media.
function mathBold(term: string): string {
  return term.replace(/[A-Za-z]/g, (c) => {
    const base = c >= 'a' ? 0x1d41a + c.charCodeAt(0) - 0x61 : 0x1d400 + c.charCodeAt(0) - 0x41;
    return String.fromCodePoint(base);
  });
}

function leet(term: string): string {
  const swaps: Record<string, string> = { e: '3', o: '0', a: '4', s: '5', i: '1', t: '7' };
  let swapped = 0;
  return term.replace(/[eoasit]/gi, (c) => {
    swapped += 1;
    return swapped % 2 === 1 ? (swaps[c.toLowerCase()] ?? c) : c;
  });
}

/** Parses one marked entry; `disguise` rewrites every marked term (spans follow). */
export function parseMarked(
  marked: string,
  kind: string,
  disguise: (term: string) => string = (t) => t,
): LabelledText {
  const expected: ExpectedViolation[] = [];
  let text = '';
  let rest = marked;
  for (let open = rest.indexOf('[['); open !== -1; open = rest.indexOf('[[')) {
    const close = rest.indexOf(']]', open);
    const [key, term] = rest.slice(open + 2, close).split(':') as [string, string];
    text += rest.slice(0, open);
    const shown = disguise(term);
    expected.push({
      category: CATEGORY[key] ?? key,
      start: text.length,
      end: text.length + shown.length,
    });
    text += shown;
    rest = rest.slice(close + 2);
  }
  return { text: text + rest, kind, expected };
}

function disguised(entries: string[], disguises: typeof ZH_DISGUISES): LabelledText[] {
  return entries.map((entry, i) => {
    const [kind, disguise] = disguises[i % disguises.length] as (typeof ZH_DISGUISES)[number];
    return parseMarked(entry, kind, disguise);
  });
}

/** The whole labelled set. */
export function labelledSet(): LabelledText[] {
  const zhWithAscii = PLAIN_ZH.filter((entry) => /\[\[[A-Z]:[!-~]+\]\]/.test(entry));
  const zhChinese = PLAIN_ZH.filter((entry) => !zhWithAscii.includes(entry));
  return [
    ...PLAIN_ZH.map((entry) => parseMarked(entry, 'plain_zh')),
    ...PLAIN_EN.map((entry) => parseMarked(entry, 'plain_en')),
    ...CLEAN.map((entry) =>
      parseMarked(entry, /[\u4e00-\u9fff]/.test(entry) ? 'clean_zh' : 'clean_en'),
    ),
    ...TRADITIONAL.map((entry) => parseMarked(entry, 'evasion_traditional')),
    ...LOOKALIKE.map((entry) => parseMarked(entry, 'evasion_lookalike_characters')),
    ...HELD_OUT.map((entry) => parseMarked(entry, 'held_out')),
    ...disguised(zhChinese.slice(0, 48), ZH_DISGUISES.slice(0, 6)),
    ...disguised(zhWithAscii, ZH_DISGUISES.slice(6)),
    ...disguised(PLAIN_EN, EN_DISGUISES),
  ];
}
