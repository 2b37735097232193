// The dashboard's words in English and Chinese. The language comes from the
// browser unless the reader picked one with the switch (kept in localStorage).
const STRINGS = {
  en: {
    'nav.overview': 'Overview', 'nav.api': 'API',
    'activity.title': 'Last 24 hours', 'activity.pushes': 'pushes', 'activity.delivered': 'delivered', 'activity.failed': 'failed', 'activity.timed_out': 'timed out',
    'activity.empty': 'Nothing happened in this period.',
    'health.title': 'Destinations (last hour)', 'health.destination': 'Destination', 'health.rate': 'Success', 'health.attempts': 'Attempts',
    'health.last': 'Last answer', 'health.open': 'Waiting', 'health.circuit': 'Circuit', 'health.empty': 'No forwarding attempts in the last hour.',
    'health.filter': 'Show its traces',
    'circuit.closed': 'closed', 'circuit.open': 'open', 'circuit.half_open': 'probing',
    'traces.title': 'Traces', 'traces.status': 'Status', 'traces.app': 'App', 'traces.destination': 'Destination', 'traces.from': 'From', 'traces.to': 'To',
    'traces.search': 'Trace id starts with…', 'traces.apply': 'Filter', 'traces.clear': 'Clear', 'traces.any': 'any',
    'traces.trace_id': 'Trace id', 'traces.registered': 'Registered', 'traces.deadline': 'Deadline', 'traces.error': 'Error',
    'traces.empty': 'No trace matches.', 'traces.more': 'Next page', 'traces.first': 'First page', 'traces.marks': 'Marks',
    'status.pending': 'pending', 'status.delivering': 'delivering', 'status.delivered': 'delivered', 'status.failed': 'failed', 'status.timed_out': 'timed out',
    'mark.late': 'late', 'mark.conflict': 'conflict', 'mark.duplicate': 'repeated',
    'trace.back': '← All traces', 'trace.timeline': 'Timeline', 'trace.push': 'The push', 'trace.conflicts': 'Conflicting pushes (kept, not forwarded)',
    'trace.replay': 'Replay', 'trace.replayed': 'Replay queued: delivery {id}', 'trace.no_push': 'No push has arrived yet.',
    'ev.registered': 'Registered → {uri}', 'ev.deadline': 'Deadline {at}', 'ev.push': 'Push received from WeChat', 'ev.push_late': 'Push received after the deadline (forwarded, marked late)',
    'ev.duplicates': 'WeChat repeated it {n}×; forwarded once', 'ev.conflict': 'A repeat with a different verdict: kept, not forwarded',
    'ev.attempt': 'Attempt {n}', 'ev.notice_attempt': 'Timeout notice, attempt {n}', 'ev.timeout': 'No push before the deadline: timeout notice queued',
    'ev.next': 'Next attempt {at}',
    'ev.replay': 'Replayed by {actor}', 'ev.redrive': 'Redriven by {actor}',
    'field.status': 'HTTP', 'field.duration': 'Duration', 'field.outcome': 'Outcome', 'field.response': 'Response', 'field.error': 'Error',
    'error.network': 'The relay did not answer: {message}', 'error.auth': 'Not allowed: {message}', 'error.generic': '{code}: {message}',
    'lang.switch': '中文',
  },
  zh: {
    'nav.overview': '概览', 'nav.api': 'API',
    'activity.title': '最近 24 小时', 'activity.pushes': '推送', 'activity.delivered': '已送达', 'activity.failed': '失败', 'activity.timed_out': '超时',
    'activity.empty': '这段时间没有活动。',
    'health.title': '目标服务器（最近一小时）', 'health.destination': '目标地址', 'health.rate': '成功率', 'health.attempts': '尝试次数',
    'health.last': '最近应答', 'health.open': '待送达', 'health.circuit': '熔断', 'health.empty': '最近一小时没有转发。',
    'health.filter': '查看其 trace',
    'circuit.closed': '正常', 'circuit.open': '已熔断', 'circuit.half_open': '探测中',
    'traces.title': 'Trace 列表', 'traces.status': '状态', 'traces.app': '小程序', 'traces.destination': '目标地址', 'traces.from': '起', 'traces.to': '止',
    'traces.search': 'trace_id 前缀…', 'traces.apply': '筛选', 'traces.clear': '清除', 'traces.any': '全部',
    'traces.trace_id': 'Trace id', 'traces.registered': '注册时间', 'traces.deadline': '截止时间', 'traces.error': '错误',
    'traces.empty': '没有匹配的 trace。', 'traces.more': '下一页', 'traces.first': '第一页', 'traces.marks': '标记',
    'status.pending': '等待回调', 'status.delivering': '转发中', 'status.delivered': '已送达', 'status.failed': '失败', 'status.timed_out': '超时',
    'mark.late': '迟到', 'mark.conflict': '冲突', 'mark.duplicate': '重复',
    'trace.back': '← 全部 trace', 'trace.timeline': '时间线', 'trace.push': '推送内容', 'trace.conflicts': '结论不同的重复推送（已保存，未转发）',
    'trace.replay': '重新投递', 'trace.replayed': '已排队重新投递：{id}', 'trace.no_push': '尚未收到推送。',
    'ev.registered': '已注册 → {uri}', 'ev.deadline': '截止 {at}', 'ev.push': '收到微信推送', 'ev.push_late': '截止后收到推送（仍转发，标记为迟到）',
    'ev.duplicates': '微信重复推送 {n} 次；只转发一次', 'ev.conflict': '结论不同的重复推送：已保存，未转发',
    'ev.attempt': '第 {n} 次转发', 'ev.notice_attempt': '超时通知，第 {n} 次', 'ev.timeout': '截止前未收到推送：已排队发送超时通知',
    'ev.next': '下次尝试 {at}',
    'ev.replay': '由 {actor} 重新投递', 'ev.redrive': '由 {actor} 批量重投',
    'field.status': 'HTTP', 'field.duration': '耗时', 'field.outcome': '结果', 'field.response': '应答', 'field.error': '错误',
    'error.network': '中继没有应答：{message}', 'error.auth': '无权访问：{message}', 'error.generic': '{code}：{message}',
    'lang.switch': 'English',
  },
};

const STORAGE_KEY = 'callback-relay.lang';

function pickLanguage() {
  const saved = safeStorage(() => localStorage.getItem(STORAGE_KEY));
  if (saved === 'en' || saved === 'zh') return saved;
  const wanted = navigator.languages && navigator.languages.length > 0 ? navigator.languages : [navigator.language || 'en'];
  for (const tag of wanted) {
    const lower = String(tag).toLowerCase();
    if (lower.startsWith('zh')) return 'zh';
    if (lower.startsWith('en')) return 'en';
  }
  return 'en';
}

/** Private browsing can make storage throw; the dashboard works without it. */
function safeStorage(read) {
  try {
    return read();
  } catch {
    return null;
  }
}

let language = pickLanguage();

export function currentLanguage() {
  return language;
}

export function setLanguage(next) {
  language = next === 'zh' ? 'zh' : 'en';
  safeStorage(() => localStorage.setItem(STORAGE_KEY, language));
  document.documentElement.lang = language === 'zh' ? 'zh-CN' : 'en';
}

/** The text for `key`, with `{name}` placeholders filled from `values`. */
export function t(key, values = {}) {
  const template = STRINGS[language][key] ?? STRINGS.en[key] ?? key;
  return template.replace(/\{(\w+)\}/g, (_, name) => (values[name] === undefined ? '' : String(values[name])));
}

/** A time in the reader's language and time zone. */
export function formatTime(iso) {
  if (!iso) return '—';
  return new Date(iso).toLocaleString(language === 'zh' ? 'zh-CN' : 'en-GB', { hour12: false });
}

/** Fills the static page's labelled elements. */
export function translateStatic(root = document) {
  for (const element of root.querySelectorAll('[data-i18n]')) element.textContent = t(element.dataset.i18n);
}
