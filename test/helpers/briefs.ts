/**
 * Briefs shared by the tests. `FIELD_CASE_BRIEF` is brief B of ../shared/cases/README.md, the
 * one every field case starts from.
 */

/** Brief B of the field cases: cold-brew oolong for WeChat Moments, in Chinese. */
export const FIELD_CASE_BRIEF = Object.freeze({
  brand: '山茶',
  product: '冷泡乌龙',
  features: ['0糖', '冷萃12小时'],
  audience: '都市白领',
  tone: '活泼',
  channel: 'wechat_moments',
  language: 'zh',
});

/** The Chinese brief of the walking skeleton, with the snake_case names ad teams send. */
export const HEADPHONES_BRIEF = Object.freeze({
  product_name: '极光系列无线降噪耳机',
  brand_tone: '年轻潮流',
  target_audience: ['Z世代', '学生群体'],
  keywords: ['沉浸音效', '通勤神器'],
  output_style: '口语化短句',
  session_id: 'sess_demo_1',
});

/** An English brief for a running shoe. */
export const RUNNING_SHOE_BRIEF = Object.freeze({
  brand: 'Stride',
  product: 'Aero trail running shoe',
  features: ['carbon plate', 'grippy outsole', '240 g'],
  audience: 'weekend trail runners',
  tone: 'energetic',
  length: 'medium',
});
