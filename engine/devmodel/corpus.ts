/**
 * The built-in text the dev tokenizer learns its merges from: short Chinese and English ad copy of
 * the kind the service writes, plus the words of its prompts. It only shapes which byte pairs get
 * merged; any UTF-8 text still tokenizes, through the 256 byte tokens.
 *
 * @module
 */

const chineseCopy = `
冷泡乌龙，0糖0脂，一口清爽，都市白领的下午茶新选择。
山茶冷萃12小时，茶香更浓，回甘更久，夏天就要喝得轻松一点。
新品上市！限时八折，前100名下单再送定制杯。
早八通勤，来一瓶冷泡茶，清醒一整天。
好茶不苦，慢慢泡出来的好味道。
妈妈放心选，宝宝安心用，温和配方，呵护每一寸肌肤。
轻薄透气，贴合肌肤，一整天都是清爽的感觉。
限时优惠，今晚零点截止，错过再等一年。
会员专享：满199减30，包邮到家。
新鲜直达，产地直发，48小时内送到你手上。
一杯咖啡，开启元气满满的一天。
精选阿拉比卡咖啡豆，中度烘焙，香气饱满，口感顺滑。
跑步、健身、瑜伽，一双鞋陪你走得更远。
轻量缓震，久穿不累，城市通勤也能穿出运动感。
周末去哪儿？带上家人，来一场说走就走的短途旅行。
春季上新，温柔配色，简约设计，穿出好心情。
品质生活，从一张好床垫开始，睡得好，白天才有精神。
护眼台灯，无频闪，柔光不刺眼，孩子写作业更安心。
扫码关注，领取新人专属优惠券。
点击了解更多，立即购买，数量有限，先到先得。
真诚推荐给每一位爱生活的你。
我们坚持用好原料，只为做一杯好茶。
天然原料，无添加，喝得放心。
为品牌写三条朋友圈文案，语气活泼，突出卖点。
品牌：山茶。产品：冷泡乌龙。卖点：0糖、冷萃12小时。受众：都市白领。渠道：微信朋友圈。
请用中文写广告文案，每条不超过60个字，不要使用“最”“第一”“国家级”等绝对化用语。
标题、正文、行动号召，风格简洁，贴近生活。
太正式了，换个角度，再轻松一点，多一点生活气息。
小红书种草笔记：亲测好用，回购三次，真的爱了！
抖音短视频口播：家人们，今天给大家推荐一款宝藏好物。
淘宝详情页：产品参数、使用方法、售后保障，一目了然。
七天无理由退换，售后无忧。
爆款回归，老客户专享价，欢迎转发分享给好友。
清新果香，低糖配方，追剧加班好搭档。
这个夏天，和朋友一起分享一份清凉。
`;

const englishCopy = `
Cold brew oolong with zero sugar: crisp, clean and ready for your afternoon break.
Steeped for 12 hours, so every sip tastes smoother and lasts longer.
New launch! Save 20% this week only, and get a free bottle with your first order.
Fresh from the farm to your door in 48 hours. Free shipping on orders over $30.
Start your day with a cup of coffee that's roasted the right way.
Lightweight, breathable and made to move with you, from the gym to the office.
Gentle on skin, tough on dirt. Dermatologist tested and fragrance free.
Sleep better tonight. Our mattress adapts to you, so you wake up ready.
Limited time offer: buy one, get one half price. Ends Sunday at midnight.
Join our members club for early access, exclusive deals and birthday gifts.
Shop now. Learn more. Sign up today. Order yours before they're gone.
Made with real fruit and nothing artificial, because you deserve better.
Your weekend getaway starts here. Book now and save on family trips.
We'll help you find the perfect gift for the people you love.
Simple design, honest materials and a price that makes sense.
Write three short ad variants for a social media post. Keep the tone playful and friendly.
Brand: Camellia. Product: cold brew oolong. Features: zero sugar, cold brewed for 12 hours.
Audience: young professionals in the city. Channel: Instagram. Language: English.
Each variant has a headline, a body and a call to action.
Do not use words like "best" or "number one".
Too formal. Try another angle, and make it sound more relaxed and human.
Great taste, no compromise. It's the little things that make the day.
Don't miss out! Tap the link to claim your discount code.
Trusted by thousands of happy customers across the country.
Easy returns within 30 days. Questions? Our team is here to help.
The system prompt, the user brief and the assistant answer follow the chat format.
`;

const mixedCopy = `
新品 New Arrival 🎉 限时 Limited Offer ✨ 立即购买 Buy Now 👉
🍵 冷泡乌龙 Cold Brew Oolong · 0糖 Zero Sugar · 12h
☕️ 早安 Good morning! 🌿 天然 Natural 💯 ❤️ 👍 🔥 😊 🎁
「好茶」『新品』《品牌故事》【限时】（包邮）——…… 100% 5折 ¥39.9 $9.99 #冷泡茶 @山茶
{"headline": "清爽一夏", "body": "冷泡乌龙，0糖更轻松。", "cta": "立即购买"}
`;

/** Chinese, English and mixed ad copy, joined; the merge learner reads it as one text. */
export const DEV_CORPUS: string = [chineseCopy, englishCopy, mixedCopy].join('\n');
