import { nameVariants, normalizeName } from './normalize';

describe('normalizeName', () => {
  it('lower-cases, strips diacritics and the letters NFKD leaves alone, and splits on punctuation', () => {
    expect(normalizeName('MÜLLER, Zoë-Ånne')).toEqual(['muller', 'zoe', 'anne']);
    expect(normalizeName('Øresund Straße Łódź Æther')).toEqual(['oresund', 'strasse', 'lodz', 'aether']);
    expect(normalizeName("O'Brien & Sons, Ltd.")).toEqual(['obrien', 'sons', 'ltd']);
    expect(normalizeName('ŞAHİN ÇELİK')).toEqual(['sahin', 'celik']);
  });

  it('reads look-alike characters as the Latin letters they imitate', () => {
    expect(normalizeName('Bаnco Nаcionаl')).toEqual(['banco', 'nacional']); // Cyrillic а
    expect(normalizeName('M0HAMMED')).toEqual(['mohammed']);
    expect(normalizeName('АСМЕ')).toEqual(['acme']); // wholly Cyrillic look-alikes
    expect(normalizeName('ΝΙΚΕ')).toEqual(['nike']); // Greek capitals
    expect(normalizeName('$AMIR')).toEqual(['samir']);
  });

  it('keeps digits that are not part of a word', () => {
    expect(normalizeName('ANDREA 7')).toEqual(['andrea', '7']);
  });

  it('also transliterates names written wholly in Cyrillic or Greek', () => {
    expect(nameVariants('Владимир Путин')).toContainEqual(['vladimir', 'putin']);
    expect(nameVariants('Дмитрий Медведев')).toContainEqual(['dmitriy', 'medvedev']);
    expect(nameVariants('Γιώργος Παπαδόπουλος')).toContainEqual(['giorgos', 'papadopoulos']);
    expect(nameVariants('John Smith')).toEqual([['john', 'smith']]);
    expect(nameVariants('0.I.I.C.')).toContainEqual(['o', 'i', 'i', 'c']); // a lone zero read as O
    expect(nameVariants('ANDREA 7')).toContainEqual(['andrea', '7']);
  });
});
