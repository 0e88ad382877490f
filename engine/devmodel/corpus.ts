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
你是一位懂产品也懂用户的文案写手，请写出简短、真实、有温度的广告语。
广告内容要真实合法，不夸大功效，不承诺效果，不编造数据和荣誉。
化妆品不能说治疗，食品不能说药效，理财产品不能保证收益。
请根据产品卖点和目标人群，写出不同角度的文案：功能、情感、场景、优惠。
语气可以是专业的、亲切的、幽默的，也可以是文艺的，但要符合品牌调性。
标题：一口清爽，轻松一夏
正文：冷萃十二小时，茶香更柔和，没有添加糖，喝起来也没有负担。
行动号召：现在下单，明天就能喝到。
我们的团队来自产地，每一片茶叶都经过挑选。
这是一款适合上班族的便携早餐，三分钟就能吃上热乎的。
你值得拥有更好的睡眠，让身体好好休息。
给孩子的第一双学步鞋，柔软防滑，妈妈更放心。
户外露营必备，防水耐磨，收纳方便，一个人也能轻松搭好。
家里的宠物也有自己的小餐桌，营养均衡，它吃得开心，你也放心。
年轻人的第一台咖啡机，操作简单，一键出杯。
无论是工作还是学习，都需要一把舒服的椅子。
秋冬换季，记得给皮肤多一点保湿。
每天进步一点点，坚持学习，遇见更好的自己。
把城市的喧嚣关在门外，回家就是度假。
节日礼盒限量发售，送给家人朋友，心意满满。
本店所有商品均为正品，支持验货，假一赔三。
今天下单，享受会员积分双倍，积分可以抵现金使用。
用心做好每一个细节，这就是我们对用户的承诺。
这个价格真的很划算，喜欢的朋友不要犹豫。
关注我们的公众号，第一时间了解新品和活动信息。
你的生活，你来定义；我们只是帮你把日子过得更舒服一点。
好的产品会说话，用过的人都知道。
周一到周五，每天一杯，给忙碌的自己一点甜。
让每一次出发，都有好心情相伴。
自然的味道，简单的快乐，分享给你在乎的人。
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
You are a copywriter who knows the product and the people who buy it.
Keep every claim honest: no invented numbers, awards or medical benefits.
Headline: Crisp, cool and sugar free
Body: Cold brewed for twelve hours for a smoother taste, with nothing added.
CTA: Order today and have it tomorrow.
Built for busy mornings, ready in three minutes and easy to carry.
Soft, light and made for little feet taking their first steps.
Camp anywhere. Waterproof, durable and packs down small.
Healthy meals for your pet, balanced and tasty.
Your first coffee machine: one button, one great cup.
Work better, study longer, sit comfortably all day.
Give your skin a little extra care this winter.
Holiday gift boxes are here for a limited time. Share the joy with family and friends.
Every product is genuine, checked and backed by our promise.
Double points for members this weekend, and points work like cash.
We care about the details, because that's what you notice every day.
Follow us to hear about new products and events first.
Good products speak for themselves; ask anyone who has tried ours.
Friendly, professional, playful or poetic: match the tone to the brand.
Write different angles: the feature, the feeling, the moment and the offer.
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
